
use builtin;
use str;

set edit:completion:arg-completer[iiot] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'iiot'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'iiot'= {
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand simulate 'Simulate plant telemetry as readings'
            cand cat 'Validate and normalise reading streams'
            cand model 'Print, list and check plant models'
            cand query 'Read readings from a store, a Parquet file or a lake'
            cand inspect 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
            cand completions 'Print shell completions for iiot'
            cand man 'Write man pages for iiot and each of its verbs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;simulate'= {
            cand --preset 'Built-in model to simulate (see `iiot model --list`); wellhead when neither --preset nor --model is given'
            cand --model 'Plant model CSV to simulate (see docs/model.md)'
            cand --assets 'Scale the model to N assets, named by its first asset''s prefix (WH-0001 … WH-1000); asset i repeats the model''s asset i mod k'
            cand --seed 'Seed of the random streams'
            cand --start 'Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime]'
            cand --interval 'Time between two readings of a series'
            cand --duration 'Simulate this long (24h, 7d)'
            cand --count 'Simulate this many intervals (readings per series)'
            cand --end 'Stop before this time'
            cand --faults 'Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins'
            cand --format 'Output format'
            cand --realtime 'Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given'
            cand --label 'Write the ground truth of injected faults into each affected reading''s `fault` field'
            cand --line-buffered 'Flush after every interval, for live pipelines (always so with --realtime or on a terminal)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;cat'= {
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --strict 'Stop with exit 1 at the first bad line, writing nothing after it'
            cand --line-buffered 'Flush after every record, for live pipelines'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;model'= {
            cand --preset 'Print the built-in preset NAME as CSV'
            cand --list 'List the built-in presets'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;model;check'= {
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;model;help'= {
            cand check 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;model;help;check'= {
        }
        &'iiot;model;help;help'= {
        }
        &'iiot;query'= {
            cand --asset 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several'
            cand --tag 'Tag glob; repeat or separate with commas for several'
            cand --from 'Readings at or after this time (RFC 3339, a date, or epoch ms)'
            cand --to 'Readings before this time (exclusive)'
            cand --limit 'At most N readings in all'
            cand --format 'Output format'
            cand --ts-col 'The time column (default: ts, timestamp, time, datetime or event_time)'
            cand --asset-col 'The asset column (default: asset, device, device_id, id, machine or sensor_id)'
            cand --tag-col 'The tag column (default: tag, metric, signal, name or parameter)'
            cand --value-col 'The value column (default: value, val, reading or measurement)'
            cand --ts-unit 'The unit of an integer or float time column (default: guessed from its magnitude)'
            cand --latest 'Only the last reading of each series (in the range), as a current-value tile shows'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;inspect'= {
            cand --gap-factor 'A gap is an interval longer than this many median intervals'
            cand --ts-col 'The time column (default: ts, timestamp, time, datetime or event_time)'
            cand --asset-col 'The asset column (default: asset, device, device_id, id, machine or sensor_id)'
            cand --tag-col 'The tag column (default: tag, metric, signal, name or parameter)'
            cand --value-col 'The value column (default: value, val, reading or measurement)'
            cand --ts-unit 'The unit of an integer or float time column (default: guessed from its magnitude)'
            cand --json 'Write JSON even on a terminal'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;completions'= {
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;man'= {
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;help'= {
            cand simulate 'Simulate plant telemetry as readings'
            cand cat 'Validate and normalise reading streams'
            cand model 'Print, list and check plant models'
            cand query 'Read readings from a store, a Parquet file or a lake'
            cand inspect 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
            cand completions 'Print shell completions for iiot'
            cand man 'Write man pages for iiot and each of its verbs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;help;simulate'= {
        }
        &'iiot;help;cat'= {
        }
        &'iiot;help;model'= {
            cand check 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
        }
        &'iiot;help;model;check'= {
        }
        &'iiot;help;query'= {
        }
        &'iiot;help;inspect'= {
        }
        &'iiot;help;completions'= {
        }
        &'iiot;help;man'= {
        }
        &'iiot;help;help'= {
        }
    ]
    $completions[$command]
}

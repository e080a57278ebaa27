
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
            cand rollup 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)'
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
        &'iiot;rollup'= {
            cand --every 'Bucket widths, comma-separated: 10s, 1m, 15m, 1h, 1d, 7d (required, except on a store or lake given only --retain)'
            cand --lateness 'How long past a bucket''s end (by its series'' latest reading) to wait for stragglers before writing it'
            cand --tz 'Time zone whose local midnight starts day buckets (Europe/Berlin)'
            cand --kpi 'Instead of statistics per series, a KPI per machine per bucket: `oee` for the factory preset''s tags (see below)'
            cand --retain 'On a store or lake: delete rows older than AGE per table, as in raw=30d,1m=365d (raw readings never before they are rolled up)'
            cand --now 'With --retain: the time ages count back from (default: now)'
            cand --rejects 'Write rejected lines (bad input, late readings) here as NDJSON instead of to stderr'
            cand --format 'Output format (CSV carries only the reading columns: ts and the mean)'
            cand --dry-run 'With --retain: say what would be deleted, delete nothing'
            cand --strict 'Stop with exit 1 at the first rejected line'
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
            cand rollup 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)'
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
        &'iiot;help;rollup'= {
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


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
            cand modbus-serve 'Serve readings as Modbus TCP registers'
            cand poll 'Poll Modbus TCP devices and write readings'
            cand model 'Print, list and check plant models'
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
        &'iiot;modbus-serve'= {
            cand --preset 'Built-in model whose map to serve (see `iiot model --list`); wellhead when neither --preset nor --model is given'
            cand --model 'Plant model CSV whose map to serve'
            cand --host 'Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts)'
            cand --listen 'Address and port to listen on'
            cand --allow 'Also admit clients from this network (CIDR, or one address); repeat for more. Loopback is always admitted'
            cand --max-clients 'Most clients connected at once; more are closed on connect'
            cand --idle-timeout 'Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers)'
            cand --addr-file 'Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0)'
            cand --for 'Stop serving after this long (for scripts and tests); without it, serve until stopped'
            cand --rejects 'Write rejected lines here as NDJSON instead of to stderr'
            cand --writable 'Accept writes (function codes 5, 6, 15, 16) and write each written tag to stdout as a reading'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;poll'= {
            cand --preset 'Built-in model to poll (see `iiot model --list`); wellhead when neither --preset nor --model is given'
            cand --model 'Plant model CSV to poll'
            cand --target 'Target for model rows without a `host`'
            cand --interval 'Time between polls of a target; 0 polls again as soon as the last poll is answered'
            cand --count 'Poll this many times, then exit'
            cand --timeout 'How long to wait for an answer (and for a connection)'
            cand --ts 'Which time a reading carries: when its request was sent, or when the answer came'
            cand --max-gap 'Unused registers (or bits) a request may read through to join two runs of tags'
            cand --max-inflight 'Most requests awaiting an answer on one connection. Above 1, a unit that stops answering does not hold up the others; 1 suits devices that take one request at a time (pymodbus, many small PLCs)'
            cand --backoff-max 'Longest wait between two attempts to reach a target that is down'
            cand --unit 'Ad-hoc: unit id'
            cand --holding 'Ad-hoc: read N values from holding register A'
            cand --input 'Ad-hoc: read N values from input register A'
            cand --coils 'Ad-hoc: read N coils from A'
            cand --discrete 'Ad-hoc: read N discrete inputs from A'
            cand --type 'Ad-hoc: register type (u16, i16, u32, i32, u64, i64, f32, f64, bool, strN)'
            cand --order 'Ad-hoc: word and byte order (ABCD, CDAB, BADC, DCBA)'
            cand --scale 'Ad-hoc: engineering value = raw × scale + offset'
            cand --offset 'Ad-hoc: see --scale'
            cand --asset 'Ad-hoc: asset of the readings [default: TARGET/UNIT]'
            cand --format 'Output format'
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
            cand modbus-serve 'Serve readings as Modbus TCP registers'
            cand poll 'Poll Modbus TCP devices and write readings'
            cand model 'Print, list and check plant models'
            cand completions 'Print shell completions for iiot'
            cand man 'Write man pages for iiot and each of its verbs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;help;simulate'= {
        }
        &'iiot;help;cat'= {
        }
        &'iiot;help;modbus-serve'= {
        }
        &'iiot;help;poll'= {
        }
        &'iiot;help;model'= {
            cand check 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
        }
        &'iiot;help;model;check'= {
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

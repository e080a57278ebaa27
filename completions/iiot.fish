# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_iiot_global_optspecs
    string join \n q/quiet v/verbose h/help V/version
end

function __fish_iiot_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_iiot_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_iiot_using_subcommand
    set -l cmd (__fish_iiot_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c iiot -n "__fish_iiot_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_needs_command" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_needs_command" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "simulate" -d 'Simulate plant telemetry as readings'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "store" -d 'Store readings and alarm events in a SQLite historian or a Parquet lake'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "cat" -d 'Validate and normalise reading streams'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "detect" -d 'Find anomalies and raise alarms in reading streams'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "modbus-serve" -d 'Serve readings as Modbus TCP registers'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "poll" -d 'Poll Modbus TCP devices and write readings'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "model" -d 'Print, list and check plant models'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "rollup" -d 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "derive" -d 'Compute the model\'s derived tags (its `formula` column) from a stream'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "query" -d 'Read readings from a store, a Parquet file or a lake'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "inspect" -d 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "plot" -d 'Draw readings as an SVG chart: one panel per series'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "serve" -d 'Serve stores and lakes over HTTP: a JSON API, ingest, a live dashboard'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "notify" -d 'Send alarm events to people: webhooks, email, commands'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "ack" -d 'Acknowledge an alarm (ISA-18.2) in a SQLite or PostgreSQL store'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "mqtt-pub" -d 'Publish readings to an MQTT broker, one topic per asset and tag'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "mqtt-sub" -d 'Subscribe to an MQTT broker and write what arrives as readings'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "forecast" -d 'Forecast each series: point, prediction intervals, time to a limit'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "completions" -d 'Print shell completions for iiot'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "man" -d 'Write man pages for iiot and each of its verbs'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "assets" -d 'The asset registry: what each asset is, where it stands, how it is related'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l assets -d 'Scale the model to N assets, named by its first asset\'s prefix (WH-0001 … WH-1000); asset i repeats the model\'s asset i mod k' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l seed -d 'Seed of the random streams' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l start -d 'Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime]' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l interval -d 'Time between two readings of a series' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l duration -d 'Simulate this long (24h, 7d)' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l count -d 'Simulate this many intervals (readings per series)' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l end -d 'Stop before this time' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l faults -d 'Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l realtime -d 'Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l label -d 'Write the ground truth of injected faults into each affected reading\'s `fault` field'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l line-buffered -d 'Flush after every interval, for live pipelines (always so with --realtime or on a terminal)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand store" -l partition-by -d 'Partition the lake by `date` or by `date,asset`' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l roll-rows -d 'Lake: write a partition\'s file once it holds this many rows' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l roll-age -d 'Lake: write a partition\'s file once its first row is this old' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l value-encoding -d 'Lake: encoding of the value column (dictionary measured smallest on simulated plant data: 2.26 MB vs plain 2.46 MB vs byte-stream-split 4.46 MB for 2 h of wellhead)' -r -f -a "dictionary\t'Dictionary, falling back to plain when a chunk has too many distinct values: sensor values rounded to their resolution repeat a lot within a series'
plain\t'PLAIN: the floats as they are (zstd then finds the runs of a sorted series)'
byte-stream-split\t'BYTE_STREAM_SPLIT: the bytes of each float grouped by position'"
complete -c iiot -n "__fish_iiot_using_subcommand store" -l sync -d 'SQLite: durability of each commit' -r -f -a "normal\t'WAL with synchronous=NORMAL: survives an application crash or kill -9; a power loss may lose the last commits, never corrupts'
full\t'WAL with synchronous=FULL: every commit also survives a power loss'"
complete -c iiot -n "__fish_iiot_using_subcommand store" -l on-conflict -d 'SQLite: a reading of a series and time already stored is kept (ignore) or overwritten (replace)' -r -f -a "ignore\t'Keep the stored reading; count the new one as a duplicate'
replace\t'Overwrite it when it differs (identical ones still count as duplicates)'"
complete -c iiot -n "__fish_iiot_using_subcommand store" -l batch-rows -d 'SQLite: commit after this many readings' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l batch-time -d 'SQLite: commit once the first uncommitted reading is this old' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand store" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand store" -l busy-timeout -d 'SQLite: how long a commit waits for another process\'s write lock (a retention run, a second store) before its batch goes to the rejects and store stops' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -l reconnect-for -d 'PostgreSQL: how long to keep reconnecting, with the batch in hand, after the connection is lost, before the batch goes to the rejects' -r
complete -c iiot -n "__fish_iiot_using_subcommand store" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand store" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand store" -l parquet -d 'Write a Parquet lake into the TARGET folder instead of SQLite'
complete -c iiot -n "__fish_iiot_using_subcommand store" -l tee -d 'Pass every record on to stdout, so store can stand mid-pipeline'
complete -c iiot -n "__fish_iiot_using_subcommand store" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand store" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand store" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l rules -d 'Rules CSV (reloaded on SIGHUP); see above for its columns' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l zscore -d 'Rolling z-score rule on every series: flag beyond K standard deviations' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l window -d 'Readings in the z-score window [default: 50]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l min-samples -d 'Readings the z-score window needs before it judges [default: 10, or the window if smaller]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l roc -d 'Rate-of-change rule on every series: 5/s, 30/min, 100/h' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l stuck -d 'Stuck rule on every series: N identical values in a row (the default set uses 10)' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l gap -d 'Gap rule on every series: silent for FACTOR times the usual interval (3x)' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l cusum -d 'CUSUM change rule on every series: raised when a one-sided sum of standardised residuals passes H noise widths (the default set uses 12)' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l train -d 'The multivariate rule\'s clean training period, from each asset\'s first reading: 6h, 400s [default: 6h]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-variance -d 'Share of the tags\' correlation the multivariate rule\'s kept components explain [default: 0.9]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-p -d 'Quantile of the training rows\' statistics taken as the control limits [default: 0.999]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-smooth -d 'Rows whose median T² and Q are judged (1: each row alone) [default: 5]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-lag -d 'Rows over which the multivariate rule judges a persistent tag\'s change rather than its level (0: every tag by its level) [default: 10]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-clear -d 'Quantile of the training rows\' statistics under which a raised multivariate alarm clears [default: 0.9]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l mv-stat -d 'The statistics that raise the multivariate alarm: t2, q or t2,q (q alone: only a broken correlation, not a move along the learnt one) [default: t2,q]' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l state -d 'Keep windows and active alarms here: restored at start, saved at exit (end of input, a closed pipe, or SIGINT/SIGTERM after the line being read; a second signal ends at once, unsaved)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l score-json -d 'Write the score as JSON to FILE (implies --score\'s counting)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand detect" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l multivariate -d 'Judge each asset as a whole (Hotelling\'s T² and the PCA residual Q, learnt over --train; see above). Added to the other rules: it does not leave out the built-in set'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l no-defaults -d 'Leave out the built-in zscore, stuck, gap and shift rules (only the model\'s and the shorthands\' apply)'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l only -d 'Write only the flagged readings'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l events -d 'Write the alarm lifecycle (raised/cleared events) instead of readings'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l alarm-report -d 'Print an alarm-health report (rate, floods, chattering, stale, time to acknowledge, standing unacknowledged, bad actors) of the events in the input and of those detect raises, instead of records; predicted alarms (forecast --until --events) are counted apart, in a section of their own'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l score -d 'Print precision, recall, F1 and delay against the `fault` labels on stderr'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand detect" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l host -d 'Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts)' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l listen -d 'Address and port to listen on' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l allow -d 'Also admit clients from this network (CIDR written as its network address, or one address); repeat for more. Loopback is always admitted; 0.0.0.0/0 and ::/0 admit everyone' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l max-clients -d 'Most clients connected at once; more are closed on connect' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l idle-timeout -d 'Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers)' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l addr-file -d 'Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l for -d 'Stop serving after this long (for scripts and tests); without it, serve until stopped' -r
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l rejects -d 'Write rejected lines here as NDJSON instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l writable -d 'Accept writes (function codes 5, 6, 15, 16, 22, 23) and write each written tag to stdout as a reading'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -l strict-map -d 'Answer exception 2 (illegal data address) for unmapped addresses inside a table\'s span too, not only outside it'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand modbus-serve" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l target -d 'Target for model rows without a `host`' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l interval -d 'Time between polls of a target; 0 polls again as soon as the last poll is answered' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l count -d 'Poll this many times, then exit' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l timeout -d 'How long to wait for an answer (and for a connection)' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l ts -d 'Which time a reading carries: when its request was sent, or when the answer came' -r -f -a "request\t'When the request was sent'
response\t'When the answer arrived'"
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l max-gap -d 'Unused registers (or bits) a request may read through to join two runs of tags' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l max-inflight -d 'Most requests awaiting an answer on one connection. Above 1, a unit that stops answering does not hold up the others; 1 suits devices that take one request at a time (pymodbus, many small PLCs)' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l connections -d 'Connections to open to each target; its requests are dealt out over them (each connection polls its share on its own schedule; an outage is still reported once). For servers that answer one request at a time per connection (pymodbus, many gateways), N connections answer up to N requests at once' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l backoff-max -d 'Longest wait between two attempts to reach a target that is down' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l unit -d 'Ad-hoc: unit id' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l holding -d 'Ad-hoc: read N values from holding register A' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l input -d 'Ad-hoc: read N values from input register A' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l coils -d 'Ad-hoc: read N coils from A' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l discrete -d 'Ad-hoc: read N discrete inputs from A' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l type -d 'Ad-hoc: register type (u16, i16, u32, i32, u64, i64, f32, f64, bool, strN)' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l order -d 'Ad-hoc: word and byte order (ABCD, CDAB, BADC, DCBA)' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l scale -d 'Ad-hoc: engineering value = raw × scale + offset' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l offset -d 'Ad-hoc: see --scale' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l asset -d 'Ad-hoc: asset of the readings [default: TARGET/UNIT]' -r
complete -c iiot -n "__fish_iiot_using_subcommand poll" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand poll" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand poll" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand poll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand poll" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -l preset -d 'Print the built-in preset NAME as CSV' -r
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -l list -d 'List the built-in presets'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -l assets -d 'Also check this asset registry (docs/assets.md; relations from its neighbour X.relations.csv) and that every asset of the model is in it, by id or UUID' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l every -d 'Bucket widths, comma-separated: 10s, 1m, 15m, 1h, 1d, 7d (required, except on a store or lake given only --retain)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l lateness -d 'How long past a bucket\'s end (by its series\' latest reading) to wait for stragglers before writing it' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l tz -d 'Time zone whose local midnight starts day buckets (Europe/Berlin)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l kpi -d 'Instead of statistics per series, a KPI per machine per bucket: `oee` for the factory preset\'s tags (see below)' -r -f -a "oee\t'Overall equipment effectiveness (availability × performance × quality)'
health\t'A health score from OEE, scrap rate and error rate, with its parts'
incidents\t'Downtime incidents, and reliability (MTBF, MTTR) per bucket'"
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l retain -d 'On a store or lake: delete rows older than AGE per table, as in raw=30d,1m=365d (raw readings never before they are rolled up)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l weight-oee -d '--kpi health: weight of the OEE term' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l weight-scrap -d '--kpi health: weight of the scrap term (1 − scrap rate)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l weight-errors -d '--kpi health: weight of the error term (1 − share of planned time in ERROR)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l down -d '--kpi incidents: the machine states that make an incident' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l archive -d 'With --retain on a store: first write the rows to delete as Parquet under DIR (one file per table and UTC day, DIR/date=D/readings.parquet, DIR/every=1h/date=D/rollup_1h.parquet), durably, and delete only then. A run killed between the two leaves rows both in the table and in the archive; the next run archives them again into the same file, where each is kept once' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l now -d 'On a store: the time now. Buckets that end (plus --lateness) by it are closed even where a series\' latest reading is older (a series that stopped reporting), and --retain counts ages back from it (default: buckets close by each series\' latest reading; ages count from the wall clock). `now` is the wall clock' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l open -d '--kpi incidents: also write the incidents still running at the end of input'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l dry-run -d 'With --retain: say what would be deleted, delete nothing'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l final -d 'On a store: the data is complete (a historical load): close every bucket that holds a reading, the last ones included'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand rollup" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l assets -d 'Scale the model to N assets as `simulate --assets N` does (SITE-1/BLR-0001 …)' -r
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l max-age -d 'Inputs older than this give no derived reading [default: 3 times the inputs\' usual interval]' -r
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand derive" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand derive" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand query" -l asset -d 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l tag -d 'Tag glob; repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l from -d 'Readings at or after this time (RFC 3339, a date, or epoch ms)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l to -d 'Readings before this time (exclusive)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l limit -d 'At most N readings in all' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l rollup -d 'Read the rollups of this width instead of the readings: a store\'s table `rollup_1h` (made by `iiot rollup DB --every 1h`) or a lake\'s folder `every=1h/`, as rollup records with every statistic' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l order -d 'Output order: `series` (each series in turn, in time order) or `time` (all series merged by time, then asset, then tag; on a SQLite or PostgreSQL store in memory bounded by a page per series, on a lake by a day\'s readings)' -r -f -a "series\t'Series by series (asset, then tag), each in time order'
time\t'Every series merged by time, then asset, then tag'"
complete -c iiot -n "__fish_iiot_using_subcommand query" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand query" -l ts-col -d 'The time column (default: ts, timestamp, time, datetime or event_time)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l asset-col -d 'The asset column (default: asset, device, device_id, id, machine or sensor_id)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l tag-col -d 'The tag column (default: tag, metric, signal, name or parameter)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l value-col -d 'The value column (default: value, val, reading or measurement)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l ts-unit -d 'The unit of an integer or float time column (default: guessed from its magnitude)' -r -f -a "s\t''
ms\t''
us\t''
ns\t''"
complete -c iiot -n "__fish_iiot_using_subcommand query" -l at -d 'With --active: the time to tell the states at (default: now)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l rule -d 'Alarms of these rules only (globs); repeat or separate with commas' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l severity -d 'Alarms of these severities only (low, medium, high, critical); repeat or separate with commas' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand query" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand query" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand query" -l latest -d 'Only the last reading of each series (in the range), as a current-value tile shows'
complete -c iiot -n "__fish_iiot_using_subcommand query" -l alarms -d 'Write the stored alarm events (raised, cleared, acked) instead of readings, by time'
complete -c iiot -n "__fish_iiot_using_subcommand query" -l active -d 'Write one record per alarm that needs attention (state unacked, acked or rtn_unacked) at --at, then the predicted alarms whose crossing is still ahead (state predicted, "predicted":true)'
complete -c iiot -n "__fish_iiot_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand query" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l gap-factor -d 'A gap is an interval longer than this many median intervals' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l ts-col -d 'The time column (default: ts, timestamp, time, datetime or event_time)' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l asset-col -d 'The asset column (default: asset, device, device_id, id, machine or sensor_id)' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l tag-col -d 'The tag column (default: tag, metric, signal, name or parameter)' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l value-col -d 'The value column (default: value, val, reading or measurement)' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l ts-unit -d 'The unit of an integer or float time column (default: guessed from its magnitude)' -r -f -a "s\t''
ms\t''
us\t''
ns\t''"
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l json -d 'Write JSON even on a terminal'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand plot" -s o -l output -d 'The SVG file to write; `-` for stdout' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l asset -d 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l tag -d 'Tag glob; repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l from -d 'Draw from this time (RFC 3339, a date, or epoch ms); default: the first reading' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l to -d 'Draw up to this time (exclusive); default: the last reading' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l width -d 'Width of the chart in pixels' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l panel-height -d 'Height of each panel in pixels' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l max-panels -d 'Draw at most N series; the rest are counted on stderr' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l title -d 'A title above the panels' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l field -d 'Draw this numeric field of each record instead of `value`: a KPI\'s `scrap_rate`, a health score\'s `health_oee`, a rollup\'s `max`. A field inside an object is named by its path (`scrap_rate.quality`); an object of numbers draws one series per member. The series is named `TAG.FIELD`; records without the field are left out and counted' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand plot" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand plot" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand plot" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand plot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand plot" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l assets -d 'The asset registry CSV the `where`, `related_to` and `relation` parameters select from (its relations from the neighbour X.relations.csv). Default: the registry of --preset' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l listen -d 'Address and port to listen on (port 0 picks a free one)' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l addr-file -d 'Once listening, write the bound ADDR:PORT to FILE' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l token-file -d 'A file holding the bearer token ingest requires (needed with --ingest beyond loopback)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l cors -d 'Send CORS headers admitting this origin (`*` for any); none unless given' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l max-body -d 'Largest request body' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l rate -d 'Requests a second each client address may make (429 past it)' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l slow-client -d 'How long a client may take to send its request or to take the next part of an answer' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l ingest-buffer -d 'Accepted records that may wait for stdout before ingest answers 503' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l max-connections -d 'Most connections open at once; more wait to be accepted' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l for -d 'Stop serving after this long (for scripts and tests); without it, serve until stopped' -r
complete -c iiot -n "__fish_iiot_using_subcommand serve" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand serve" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand serve" -l ingest -d 'Accept records on POST /ingest and /ingest/batch and write them to stdout'
complete -c iiot -n "__fish_iiot_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand serve" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l config -d 'Channels and routes (TOML); errors name line and column' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l webhook -d 'Send every alarm to this URL as the notification\'s JSON (no config file)' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l token-env -d 'With --webhook: a bearer token from this environment variable' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l token-file -d 'With --webhook: a bearer token from this file' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l email -d 'Send every alarm by email to ADDR (repeatable; no config file)' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l smtp -d 'With --email: the SMTP server (password from IIOT_SMTP_PASSWORD)' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l smtp-tls -d 'With --email: TLS to the SMTP server' -r -f -a "none\t''
starttls\t''
tls\t''"
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l smtp-user -d 'With --email: the SMTP user' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l from -d 'With --email: the sender' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l group-wait -d 'With --webhook/--email: wait this long for more alarms before the first notification of a group' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l group-interval -d 'With --webhook/--email: wait this long after a notification before the next of the same group' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l repeat-interval -d 'With --webhook/--email: repeat still-active alarms this often' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l max-per-hour -d 'At most N notifications per channel per hour (of event time); the surplus is summarised. Applies to channels whose config sets none; 0: no limit' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l max-attempts -d 'Attempts per notification before it is dead-lettered' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l backoff -d 'The first retry\'s wait; each next doubles, with jitter' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l backoff-max -d 'The longest wait between attempts (a Retry-After may ask for longer, up to 1h)' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l timeout -d 'Give up one attempt after this long' -r
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l ca -d 'Trust only the certificates in this PEM file for HTTPS and SMTP TLS' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l dead-letter -d 'Append notifications not delivered after --max-attempts here (NDJSON, fsynced)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l replay -d 'Send the notifications of a dead-letter file again, instead of reading events' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l store -d 'A SQLite store or `postgresql://` URL whose acknowledgements (`iiot ack`, stored `acked` events) are checked before each repeat: an alarm acknowledged there is not repeated' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l state -d 'The outbox and grouping state, kept across restarts (fsynced)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand notify" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l dry-run -d 'Send nothing: write what would be sent to whom (body, subject) as records'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand notify" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l asset -d 'The alarm\'s asset' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l tag -d 'The alarm\'s tag' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l rule -d 'The alarm\'s rule' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l by -d 'Who acknowledges' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l note -d 'A note kept with the acknowledgement' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l at -d 'The acknowledgement\'s time (default: now)' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -l busy-timeout -d 'How long to wait for another process\'s write lock (PostgreSQL: to reconnect)' -r
complete -c iiot -n "__fish_iiot_using_subcommand ack" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand ack" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand ack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand ack" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l broker -d 'The broker, HOST:PORT' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l topic -d 'The topic template: {asset} and {tag} each a whole level' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l payload -d 'What a message carries' -r -f -a "record\t'The whole record, as one NDJSON line without its newline'
value\t'The value alone (`1523.42`): what dashboards and most plant gateways publish; the time is the receiver\'s'"
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l qos -d '0: at most once; 1: at least once, acknowledged by the broker' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l client-id -d 'The MQTT client id (default: iiot-pub- and the process id)' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l username -d 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l inflight -d 'QoS 1: how many messages may await the broker\'s acknowledgement' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l ack-timeout -d 'At the end, how long to wait without progress for the broker\'s acknowledgements before exiting 1' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l retain -d 'Ask the broker to keep each topic\'s last message for new subscribers'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-pub" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l broker -d 'The broker, HOST:PORT' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l topic -d 'A topic filter to subscribe to (repeatable; default: the template\'s, plant/+/+)' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l template -d 'How a bare value\'s topic names its asset and tag' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l qos -d '0: at most once; 1: at least once, with a persistent session' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l client-id -d 'The MQTT client id: the name of the persistent session' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l username -d 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l count -d 'Stop after this many messages' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l idle -d 'Stop after this long without a message' -r
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l clean -d 'A clean session: nothing kept while mqtt-sub is stopped'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand mqtt-sub" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l model -d 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l preset -d 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l horizon -d 'How far ahead: a duration (24h) or a number of buckets' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l every -d 'Bucket width, for readings that are not rollups [default: the series\' own interval]' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l level -d 'Prediction interval levels in percent' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l season -d 'Seasonal periods (24h,7d), or `none` [default: found in the data]' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l method -d 'The model: auto (seasonal ETS, MSTL + AutoETS, AutoETS, fallbacks), mstl (MSTL + AutoETS for short seasons too) or snaive (seasonal naive)' -r -f -a "auto\t''
mstl\t''
snaive\t''"
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l history -d 'Buckets the model fits on, at most: a number or a duration (30d)' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l refit -d 'Refit on a live stream: alone, at each new bucket; or every DURATION' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l until -d 'Write when each series crosses a limit: \'value < 25\', \'value >= 80\', or hi_hi, hi, lo, lo_lo of the model' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l windows -d 'Backtest origins' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l step -d 'Buckets between backtest origins [default: the horizon]' -r
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (docs/records.md)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l events -d 'With --until: write predictive alarm events ("event":"predicted")'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l backtest -d 'Evaluate by rolling origin instead of forecasting'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l strict -d 'Stop with exit 1 at the first bad line; what came before it is kept'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand forecast" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "show" -d 'Print the registry\'s assets CSV (or, with --relations-csv, its relations CSV)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "check" -d 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "list" -d 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "find" -d 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "export" -d 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "import" -d 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and not __fish_seen_subcommand_from show check list find export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -l assets -d 'The assets CSV; its relations from the neighbour X.relations.csv when there is one' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -l relations -d 'The relations CSV, when not the neighbour of --assets' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -l preset -d 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -l scale -d 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -l relations-csv -d 'Print the relations CSV instead'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -l assets -d 'The assets CSV; its relations from the neighbour X.relations.csv when there is one' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -l relations -d 'The relations CSV, when not the neighbour of --assets' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -l preset -d 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -l scale -d 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -l where -d 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -l related-to -d 'Only assets related to ASSET (id or UUID), in either direction' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -l relation -d 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -l assets -d 'The asset registry CSV; its relations are read from FILE\'s neighbour X.relations.csv when there is one. Default: the registry of the preset given' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -l preset -d 'The registry of a built-in preset, when not --assets' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l assets -d 'The assets CSV; its relations from the neighbour X.relations.csv when there is one' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l relations -d 'The relations CSV, when not the neighbour of --assets' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l preset -d 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l scale -d 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l limit -d 'At most N results per query' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -l queries -d 'Run each line of FILE (`-` for stdin) as a query; each result carries its "query"' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from find" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -l assets -d 'The assets CSV; its relations from the neighbour X.relations.csv when there is one' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -l relations -d 'The relations CSV, when not the neighbour of --assets' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -l preset -d 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -l scale -d 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks' -r
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from import" -s o -l output -d 'The assets CSV to write' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the registry\'s assets CSV (or, with --relations-csv, its relations CSV)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "list" -d 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "find" -d 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "import" -d 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)'
complete -c iiot -n "__fish_iiot_using_subcommand assets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "simulate"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "store"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "cat"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "detect"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "modbus-serve"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "poll"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "model"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "rollup"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "derive"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "query"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "inspect"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "plot"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "serve"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "notify"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "ack"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "mqtt-pub"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "mqtt-sub"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "forecast"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "completions"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "man"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "assets"
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate store cat detect modbus-serve poll model rollup derive query inspect plot serve notify ack mqtt-pub mqtt-sub forecast completions man assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

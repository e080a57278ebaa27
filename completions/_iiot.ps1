
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'iiot' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'iiot'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'iiot' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Simulate plant telemetry as readings')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Store readings and alarm events in a SQLite historian or a Parquet lake')
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'Validate and normalise reading streams')
            [CompletionResult]::new('detect', 'detect', [CompletionResultType]::ParameterValue, 'Find anomalies and raise alarms in reading streams')
            [CompletionResult]::new('modbus-serve', 'modbus-serve', [CompletionResultType]::ParameterValue, 'Serve readings as Modbus TCP registers')
            [CompletionResult]::new('poll', 'poll', [CompletionResultType]::ParameterValue, 'Poll Modbus TCP devices and write readings')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'Print, list and check plant models')
            [CompletionResult]::new('rollup', 'rollup', [CompletionResultType]::ParameterValue, 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'Compute the model''s derived tags (its `formula` column) from a stream')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Read readings from a store, a Parquet file or a lake')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what a store, a Parquet file or a lake holds, and what is wrong with it')
            [CompletionResult]::new('plot', 'plot', [CompletionResultType]::ParameterValue, 'Draw readings as an SVG chart: one panel per series')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve stores and lakes over HTTP: a JSON API, ingest, a live dashboard')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'Send alarm events to people: webhooks, email, commands')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an alarm (ISA-18.2) in a SQLite or PostgreSQL store')
            [CompletionResult]::new('mqtt-pub', 'mqtt-pub', [CompletionResultType]::ParameterValue, 'Publish readings to an MQTT broker, one topic per asset and tag')
            [CompletionResult]::new('mqtt-sub', 'mqtt-sub', [CompletionResultType]::ParameterValue, 'Subscribe to an MQTT broker and write what arrives as readings')
            [CompletionResult]::new('forecast', 'forecast', [CompletionResultType]::ParameterValue, 'Forecast each series: point, prediction intervals, time to a limit')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions for iiot')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for iiot and each of its verbs')
            [CompletionResult]::new('assets', 'assets', [CompletionResultType]::ParameterValue, 'The asset registry: what each asset is, where it stands, how it is related')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;simulate' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'Scale the model to N assets, named by its first asset''s prefix (WH-0001 … WH-1000); asset i repeats the model''s asset i mod k')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the random streams')
            [CompletionResult]::new('--start', '--start', [CompletionResultType]::ParameterName, 'Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between two readings of a series')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Simulate this long (24h, 7d)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Simulate this many intervals (readings per series)')
            [CompletionResult]::new('--end', '--end', [CompletionResultType]::ParameterName, 'Stop before this time')
            [CompletionResult]::new('--faults', '--faults', [CompletionResultType]::ParameterName, 'Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--realtime', '--realtime', [CompletionResultType]::ParameterName, 'Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Write the ground truth of injected faults into each affected reading''s `fault` field')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every interval, for live pipelines (always so with --realtime or on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;store' {
            [CompletionResult]::new('--partition-by', '--partition-by', [CompletionResultType]::ParameterName, 'Partition the lake by `date` or by `date,asset`')
            [CompletionResult]::new('--roll-rows', '--roll-rows', [CompletionResultType]::ParameterName, 'Lake: write a partition''s file once it holds this many rows')
            [CompletionResult]::new('--roll-age', '--roll-age', [CompletionResultType]::ParameterName, 'Lake: write a partition''s file once its first row is this old')
            [CompletionResult]::new('--value-encoding', '--value-encoding', [CompletionResultType]::ParameterName, 'Lake: encoding of the value column (dictionary measured smallest on simulated plant data: 2.26 MB vs plain 2.46 MB vs byte-stream-split 4.46 MB for 2 h of wellhead)')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'SQLite: durability of each commit')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'SQLite: a reading of a series and time already stored is kept (ignore) or overwritten (replace)')
            [CompletionResult]::new('--batch-rows', '--batch-rows', [CompletionResultType]::ParameterName, 'SQLite: commit after this many readings')
            [CompletionResult]::new('--batch-time', '--batch-time', [CompletionResultType]::ParameterName, 'SQLite: commit once the first uncommitted reading is this old')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--busy-timeout', '--busy-timeout', [CompletionResultType]::ParameterName, 'SQLite: how long a commit waits for another process''s write lock (a retention run, a second store) before its batch goes to the rejects and store stops')
            [CompletionResult]::new('--reconnect-for', '--reconnect-for', [CompletionResultType]::ParameterName, 'PostgreSQL: how long to keep reconnecting, with the batch in hand, after the connection is lost, before the batch goes to the rejects')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--parquet', '--parquet', [CompletionResultType]::ParameterName, 'Write a Parquet lake into the TARGET folder instead of SQLite')
            [CompletionResult]::new('--tee', '--tee', [CompletionResultType]::ParameterName, 'Pass every record on to stdout, so store can stand mid-pipeline')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;cat' {
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;detect' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rules CSV (reloaded on SIGHUP); see above for its columns')
            [CompletionResult]::new('--zscore', '--zscore', [CompletionResultType]::ParameterName, 'Rolling z-score rule on every series: flag beyond K standard deviations')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'Readings in the z-score window [default: 50]')
            [CompletionResult]::new('--min-samples', '--min-samples', [CompletionResultType]::ParameterName, 'Readings the z-score window needs before it judges [default: 10, or the window if smaller]')
            [CompletionResult]::new('--roc', '--roc', [CompletionResultType]::ParameterName, 'Rate-of-change rule on every series: 5/s, 30/min, 100/h')
            [CompletionResult]::new('--stuck', '--stuck', [CompletionResultType]::ParameterName, 'Stuck rule on every series: N identical values in a row (the default set uses 10)')
            [CompletionResult]::new('--gap', '--gap', [CompletionResultType]::ParameterName, 'Gap rule on every series: silent for FACTOR times the usual interval (3x)')
            [CompletionResult]::new('--cusum', '--cusum', [CompletionResultType]::ParameterName, 'CUSUM change rule on every series: raised when a one-sided sum of standardised residuals passes H noise widths (the default set uses 12)')
            [CompletionResult]::new('--train', '--train', [CompletionResultType]::ParameterName, 'The multivariate rule''s clean training period, from each asset''s first reading: 6h, 400s [default: 6h]')
            [CompletionResult]::new('--mv-variance', '--mv-variance', [CompletionResultType]::ParameterName, 'Share of the tags'' correlation the multivariate rule''s kept components explain [default: 0.9]')
            [CompletionResult]::new('--mv-p', '--mv-p', [CompletionResultType]::ParameterName, 'Quantile of the training rows'' statistics taken as the control limits [default: 0.999]')
            [CompletionResult]::new('--mv-smooth', '--mv-smooth', [CompletionResultType]::ParameterName, 'Rows whose median T² and Q are judged (1: each row alone) [default: 5]')
            [CompletionResult]::new('--mv-lag', '--mv-lag', [CompletionResultType]::ParameterName, 'Rows over which the multivariate rule judges a persistent tag''s change rather than its level (0: every tag by its level) [default: 10]')
            [CompletionResult]::new('--mv-clear', '--mv-clear', [CompletionResultType]::ParameterName, 'Quantile of the training rows'' statistics under which a raised multivariate alarm clears [default: 0.9]')
            [CompletionResult]::new('--mv-stat', '--mv-stat', [CompletionResultType]::ParameterName, 'The statistics that raise the multivariate alarm: t2, q or t2,q (q alone: only a broken correlation, not a move along the learnt one) [default: t2,q]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Keep windows and active alarms here: restored at start, saved at exit (end of input, a closed pipe, or SIGINT/SIGTERM after the line being read; a second signal ends at once, unsaved)')
            [CompletionResult]::new('--score-json', '--score-json', [CompletionResultType]::ParameterName, 'Write the score as JSON to FILE (implies --score''s counting)')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--multivariate', '--multivariate', [CompletionResultType]::ParameterName, 'Judge each asset as a whole (Hotelling''s T² and the PCA residual Q, learnt over --train; see above). Added to the other rules: it does not leave out the built-in set')
            [CompletionResult]::new('--no-defaults', '--no-defaults', [CompletionResultType]::ParameterName, 'Leave out the built-in zscore, stuck, gap and shift rules (only the model''s and the shorthands'' apply)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Write only the flagged readings')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Write the alarm lifecycle (raised/cleared events) instead of readings')
            [CompletionResult]::new('--alarm-report', '--alarm-report', [CompletionResultType]::ParameterName, 'Print an alarm-health report (rate, floods, chattering, stale, time to acknowledge, standing unacknowledged, bad actors) of the events in the input and of those detect raises, instead of records; predicted alarms (forecast --until --events) are counted apart, in a section of their own')
            [CompletionResult]::new('--score', '--score', [CompletionResultType]::ParameterName, 'Print precision, recall, F1 and delay against the `fault` labels on stderr')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;modbus-serve' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on')
            [CompletionResult]::new('--allow', '--allow', [CompletionResultType]::ParameterName, 'Also admit clients from this network (CIDR written as its network address, or one address); repeat for more. Loopback is always admitted; 0.0.0.0/0 and ::/0 admit everyone')
            [CompletionResult]::new('--max-clients', '--max-clients', [CompletionResultType]::ParameterName, 'Most clients connected at once; more are closed on connect')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers)')
            [CompletionResult]::new('--addr-file', '--addr-file', [CompletionResultType]::ParameterName, 'Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0)')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Stop serving after this long (for scripts and tests); without it, serve until stopped')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON instead of to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--writable', '--writable', [CompletionResultType]::ParameterName, 'Accept writes (function codes 5, 6, 15, 16, 22, 23) and write each written tag to stdout as a reading')
            [CompletionResult]::new('--strict-map', '--strict-map', [CompletionResultType]::ParameterName, 'Answer exception 2 (illegal data address) for unmapped addresses inside a table''s span too, not only outside it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;poll' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Target for model rows without a `host`')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between polls of a target; 0 polls again as soon as the last poll is answered')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Poll this many times, then exit')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for an answer (and for a connection)')
            [CompletionResult]::new('--ts', '--ts', [CompletionResultType]::ParameterName, 'Which time a reading carries: when its request was sent, or when the answer came')
            [CompletionResult]::new('--max-gap', '--max-gap', [CompletionResultType]::ParameterName, 'Unused registers (or bits) a request may read through to join two runs of tags')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'Most requests awaiting an answer on one connection. Above 1, a unit that stops answering does not hold up the others; 1 suits devices that take one request at a time (pymodbus, many small PLCs)')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Connections to open to each target; its requests are dealt out over them (each connection polls its share on its own schedule; an outage is still reported once). For servers that answer one request at a time per connection (pymodbus, many gateways), N connections answer up to N requests at once')
            [CompletionResult]::new('--backoff-max', '--backoff-max', [CompletionResultType]::ParameterName, 'Longest wait between two attempts to reach a target that is down')
            [CompletionResult]::new('--unit', '--unit', [CompletionResultType]::ParameterName, 'Ad-hoc: unit id')
            [CompletionResult]::new('--holding', '--holding', [CompletionResultType]::ParameterName, 'Ad-hoc: read N values from holding register A')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Ad-hoc: read N values from input register A')
            [CompletionResult]::new('--coils', '--coils', [CompletionResultType]::ParameterName, 'Ad-hoc: read N coils from A')
            [CompletionResult]::new('--discrete', '--discrete', [CompletionResultType]::ParameterName, 'Ad-hoc: read N discrete inputs from A')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Ad-hoc: register type (u16, i16, u32, i32, u64, i64, f32, f64, bool, strN)')
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'Ad-hoc: word and byte order (ABCD, CDAB, BADC, DCBA)')
            [CompletionResult]::new('--scale', '--scale', [CompletionResultType]::ParameterName, 'Ad-hoc: engineering value = raw × scale + offset')
            [CompletionResult]::new('--offset', '--offset', [CompletionResultType]::ParameterName, 'Ad-hoc: see --scale')
            [CompletionResult]::new('--asset', '--asset', [CompletionResultType]::ParameterName, 'Ad-hoc: asset of the readings [default: TARGET/UNIT]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;model' {
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'Print the built-in preset NAME as CSV')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the built-in presets')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;model;check' {
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'Also check this asset registry (docs/assets.md; relations from its neighbour X.relations.csv) and that every asset of the model is in it, by id or UUID')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;model;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;model;help;check' {
            break
        }
        'iiot;model;help;help' {
            break
        }
        'iiot;rollup' {
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Bucket widths, comma-separated: 10s, 1m, 15m, 1h, 1d, 7d (required, except on a store or lake given only --retain)')
            [CompletionResult]::new('--lateness', '--lateness', [CompletionResultType]::ParameterName, 'How long past a bucket''s end (by its series'' latest reading) to wait for stragglers before writing it')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'Time zone whose local midnight starts day buckets (Europe/Berlin)')
            [CompletionResult]::new('--kpi', '--kpi', [CompletionResultType]::ParameterName, 'Instead of statistics per series, a KPI per machine per bucket: `oee` for the factory preset''s tags (see below)')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'On a store or lake: delete rows older than AGE per table, as in raw=30d,1m=365d (raw readings never before they are rolled up)')
            [CompletionResult]::new('--weight-oee', '--weight-oee', [CompletionResultType]::ParameterName, '--kpi health: weight of the OEE term')
            [CompletionResult]::new('--weight-scrap', '--weight-scrap', [CompletionResultType]::ParameterName, '--kpi health: weight of the scrap term (1 − scrap rate)')
            [CompletionResult]::new('--weight-errors', '--weight-errors', [CompletionResultType]::ParameterName, '--kpi health: weight of the error term (1 − share of planned time in ERROR)')
            [CompletionResult]::new('--down', '--down', [CompletionResultType]::ParameterName, '--kpi incidents: the machine states that make an incident')
            [CompletionResult]::new('--archive', '--archive', [CompletionResultType]::ParameterName, 'With --retain on a store: first write the rows to delete as Parquet under DIR (one file per table and UTC day, DIR/date=D/readings.parquet, DIR/every=1h/date=D/rollup_1h.parquet), durably, and delete only then. A run killed between the two leaves rows both in the table and in the archive; the next run archives them again into the same file, where each is kept once')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'On a store: the time now. Buckets that end (plus --lateness) by it are closed even where a series'' latest reading is older (a series that stopped reporting), and --retain counts ages back from it (default: buckets close by each series'' latest reading; ages count from the wall clock). `now` is the wall clock')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, '--kpi incidents: also write the incidents still running at the end of input')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --retain: say what would be deleted, delete nothing')
            [CompletionResult]::new('--final', '--final', [CompletionResultType]::ParameterName, 'On a store: the data is complete (a historical load): close every bucket that holds a reading, the last ones included')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;derive' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'Scale the model to N assets as `simulate --assets N` does (SITE-1/BLR-0001 …)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Inputs older than this give no derived reading [default: 3 times the inputs'' usual interval]')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;query' {
            [CompletionResult]::new('--asset', '--asset', [CompletionResultType]::ParameterName, 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag glob; repeat or separate with commas for several')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Readings at or after this time (RFC 3339, a date, or epoch ms)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Readings before this time (exclusive)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most N readings in all')
            [CompletionResult]::new('--rollup', '--rollup', [CompletionResultType]::ParameterName, 'Read the rollups of this width instead of the readings: a store''s table `rollup_1h` (made by `iiot rollup DB --every 1h`) or a lake''s folder `every=1h/`, as rollup records with every statistic')
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'Output order: `series` (each series in turn, in time order) or `time` (all series merged by time, then asset, then tag; on a SQLite or PostgreSQL store in memory bounded by a page per series, on a lake by a day''s readings)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--ts-col', '--ts-col', [CompletionResultType]::ParameterName, 'The time column (default: ts, timestamp, time, datetime or event_time)')
            [CompletionResult]::new('--asset-col', '--asset-col', [CompletionResultType]::ParameterName, 'The asset column (default: asset, device, device_id, id, machine or sensor_id)')
            [CompletionResult]::new('--tag-col', '--tag-col', [CompletionResultType]::ParameterName, 'The tag column (default: tag, metric, signal, name or parameter)')
            [CompletionResult]::new('--value-col', '--value-col', [CompletionResultType]::ParameterName, 'The value column (default: value, val, reading or measurement)')
            [CompletionResult]::new('--ts-unit', '--ts-unit', [CompletionResultType]::ParameterName, 'The unit of an integer or float time column (default: guessed from its magnitude)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'With --active: the time to tell the states at (default: now)')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Alarms of these rules only (globs); repeat or separate with commas')
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Alarms of these severities only (low, medium, high, critical); repeat or separate with commas')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Only the last reading of each series (in the range), as a current-value tile shows')
            [CompletionResult]::new('--alarms', '--alarms', [CompletionResultType]::ParameterName, 'Write the stored alarm events (raised, cleared, acked) instead of readings, by time')
            [CompletionResult]::new('--active', '--active', [CompletionResultType]::ParameterName, 'Write one record per alarm that needs attention (state unacked, acked or rtn_unacked) at --at, then the predicted alarms whose crossing is still ahead (state predicted, "predicted":true)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;inspect' {
            [CompletionResult]::new('--gap-factor', '--gap-factor', [CompletionResultType]::ParameterName, 'A gap is an interval longer than this many median intervals')
            [CompletionResult]::new('--ts-col', '--ts-col', [CompletionResultType]::ParameterName, 'The time column (default: ts, timestamp, time, datetime or event_time)')
            [CompletionResult]::new('--asset-col', '--asset-col', [CompletionResultType]::ParameterName, 'The asset column (default: asset, device, device_id, id, machine or sensor_id)')
            [CompletionResult]::new('--tag-col', '--tag-col', [CompletionResultType]::ParameterName, 'The tag column (default: tag, metric, signal, name or parameter)')
            [CompletionResult]::new('--value-col', '--value-col', [CompletionResultType]::ParameterName, 'The value column (default: value, val, reading or measurement)')
            [CompletionResult]::new('--ts-unit', '--ts-unit', [CompletionResultType]::ParameterName, 'The unit of an integer or float time column (default: guessed from its magnitude)')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write JSON even on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;plot' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The SVG file to write; `-` for stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The SVG file to write; `-` for stdout')
            [CompletionResult]::new('--asset', '--asset', [CompletionResultType]::ParameterName, 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag glob; repeat or separate with commas for several')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Draw from this time (RFC 3339, a date, or epoch ms); default: the first reading')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Draw up to this time (exclusive); default: the last reading')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of the chart in pixels')
            [CompletionResult]::new('--panel-height', '--panel-height', [CompletionResultType]::ParameterName, 'Height of each panel in pixels')
            [CompletionResult]::new('--max-panels', '--max-panels', [CompletionResultType]::ParameterName, 'Draw at most N series; the rest are counted on stderr')
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'A title above the panels')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'Draw this numeric field of each record instead of `value`: a KPI''s `scrap_rate`, a health score''s `health_oee`, a rollup''s `max`. A field inside an object is named by its path (`scrap_rate.quality`); an object of numbers draws one series per member. The series is named `TAG.FIELD`; records without the field are left out and counted')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;serve' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV the `where`, `related_to` and `relation` parameters select from (its relations from the neighbour X.relations.csv). Default: the registry of --preset')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on (port 0 picks a free one)')
            [CompletionResult]::new('--addr-file', '--addr-file', [CompletionResultType]::ParameterName, 'Once listening, write the bound ADDR:PORT to FILE')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'A file holding the bearer token ingest requires (needed with --ingest beyond loopback)')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Send CORS headers admitting this origin (`*` for any); none unless given')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest request body')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Requests a second each client address may make (429 past it)')
            [CompletionResult]::new('--slow-client', '--slow-client', [CompletionResultType]::ParameterName, 'How long a client may take to send its request or to take the next part of an answer')
            [CompletionResult]::new('--ingest-buffer', '--ingest-buffer', [CompletionResultType]::ParameterName, 'Accepted records that may wait for stdout before ingest answers 503')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Most connections open at once; more wait to be accepted')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Stop serving after this long (for scripts and tests); without it, serve until stopped')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--ingest', '--ingest', [CompletionResultType]::ParameterName, 'Accept records on POST /ingest and /ingest/batch and write them to stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;notify' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Channels and routes (TOML); errors name line and column')
            [CompletionResult]::new('--webhook', '--webhook', [CompletionResultType]::ParameterName, 'Send every alarm to this URL as the notification''s JSON (no config file)')
            [CompletionResult]::new('--token-env', '--token-env', [CompletionResultType]::ParameterName, 'With --webhook: a bearer token from this environment variable')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'With --webhook: a bearer token from this file')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Send every alarm by email to ADDR (repeatable; no config file)')
            [CompletionResult]::new('--smtp', '--smtp', [CompletionResultType]::ParameterName, 'With --email: the SMTP server (password from IIOT_SMTP_PASSWORD)')
            [CompletionResult]::new('--smtp-tls', '--smtp-tls', [CompletionResultType]::ParameterName, 'With --email: TLS to the SMTP server')
            [CompletionResult]::new('--smtp-user', '--smtp-user', [CompletionResultType]::ParameterName, 'With --email: the SMTP user')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'With --email: the sender')
            [CompletionResult]::new('--group-wait', '--group-wait', [CompletionResultType]::ParameterName, 'With --webhook/--email: wait this long for more alarms before the first notification of a group')
            [CompletionResult]::new('--group-interval', '--group-interval', [CompletionResultType]::ParameterName, 'With --webhook/--email: wait this long after a notification before the next of the same group')
            [CompletionResult]::new('--repeat-interval', '--repeat-interval', [CompletionResultType]::ParameterName, 'With --webhook/--email: repeat still-active alarms this often')
            [CompletionResult]::new('--max-per-hour', '--max-per-hour', [CompletionResultType]::ParameterName, 'At most N notifications per channel per hour (of event time); the surplus is summarised. Applies to channels whose config sets none; 0: no limit')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per notification before it is dead-lettered')
            [CompletionResult]::new('--backoff', '--backoff', [CompletionResultType]::ParameterName, 'The first retry''s wait; each next doubles, with jitter')
            [CompletionResult]::new('--backoff-max', '--backoff-max', [CompletionResultType]::ParameterName, 'The longest wait between attempts (a Retry-After may ask for longer, up to 1h)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up one attempt after this long')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Trust only the certificates in this PEM file for HTTPS and SMTP TLS')
            [CompletionResult]::new('--dead-letter', '--dead-letter', [CompletionResultType]::ParameterName, 'Append notifications not delivered after --max-attempts here (NDJSON, fsynced)')
            [CompletionResult]::new('--replay', '--replay', [CompletionResultType]::ParameterName, 'Send the notifications of a dead-letter file again, instead of reading events')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'A SQLite store or `postgresql://` URL whose acknowledgements (`iiot ack`, stored `acked` events) are checked before each repeat: an alarm acknowledged there is not repeated')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'The outbox and grouping state, kept across restarts (fsynced)')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Send nothing: write what would be sent to whom (body, subject) as records')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;ack' {
            [CompletionResult]::new('--asset', '--asset', [CompletionResultType]::ParameterName, 'The alarm''s asset')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'The alarm''s tag')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'The alarm''s rule')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Who acknowledges')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'A note kept with the acknowledgement')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'The acknowledgement''s time (default: now)')
            [CompletionResult]::new('--busy-timeout', '--busy-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another process''s write lock (PostgreSQL: to reconnect)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;mqtt-pub' {
            [CompletionResult]::new('--broker', '--broker', [CompletionResultType]::ParameterName, 'The broker, HOST:PORT')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'The topic template: {asset} and {tag} each a whole level')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'What a message carries')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, '0: at most once; 1: at least once, acknowledged by the broker')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The MQTT client id (default: iiot-pub- and the process id)')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)')
            [CompletionResult]::new('--inflight', '--inflight', [CompletionResultType]::ParameterName, 'QoS 1: how many messages may await the broker''s acknowledgement')
            [CompletionResult]::new('--ack-timeout', '--ack-timeout', [CompletionResultType]::ParameterName, 'At the end, how long to wait without progress for the broker''s acknowledgements before exiting 1')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'Ask the broker to keep each topic''s last message for new subscribers')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;mqtt-sub' {
            [CompletionResult]::new('--broker', '--broker', [CompletionResultType]::ParameterName, 'The broker, HOST:PORT')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'A topic filter to subscribe to (repeatable; default: the template''s, plant/+/+)')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'How a bare value''s topic names its asset and tag')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, '0: at most once; 1: at least once, with a persistent session')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The MQTT client id: the name of the persistent session')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after this many messages')
            [CompletionResult]::new('--idle', '--idle', [CompletionResultType]::ParameterName, 'Stop after this long without a message')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--clean', '--clean', [CompletionResultType]::ParameterName, 'A clean session: nothing kept while mqtt-sub is stopped')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;forecast' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)')
            [CompletionResult]::new('--horizon', '--horizon', [CompletionResultType]::ParameterName, 'How far ahead: a duration (24h) or a number of buckets')
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Bucket width, for readings that are not rollups [default: the series'' own interval]')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Prediction interval levels in percent')
            [CompletionResult]::new('--season', '--season', [CompletionResultType]::ParameterName, 'Seasonal periods (24h,7d), or `none` [default: found in the data]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'The model: auto (seasonal ETS, MSTL + AutoETS, AutoETS, fallbacks), mstl (MSTL + AutoETS for short seasons too) or snaive (seasonal naive)')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Buckets the model fits on, at most: a number or a duration (30d)')
            [CompletionResult]::new('--refit', '--refit', [CompletionResultType]::ParameterName, 'Refit on a live stream: alone, at each new bucket; or every DURATION')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Write when each series crosses a limit: ''value < 25'', ''value >= 80'', or hi_hi, hi, lo, lo_lo of the model')
            [CompletionResult]::new('--windows', '--windows', [CompletionResultType]::ParameterName, 'Backtest origins')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Buckets between backtest origins [default: the horizon]')
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'With --until: write predictive alarm events ("event":"predicted")')
            [CompletionResult]::new('--backtest', '--backtest', [CompletionResultType]::ParameterName, 'Evaluate by rolling origin instead of forecasting')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line; what came before it is kept')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;completions' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;man' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the registry''s assets CSV (or, with --relations-csv, its relations CSV)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})')
            [CompletionResult]::new('find', 'find', [CompletionResultType]::ParameterValue, 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;assets;show' {
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The assets CSV; its relations from the neighbour X.relations.csv when there is one')
            [CompletionResult]::new('--relations', '--relations', [CompletionResultType]::ParameterName, 'The relations CSV, when not the neighbour of --assets')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical')
            [CompletionResult]::new('--scale', '--scale', [CompletionResultType]::ParameterName, 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks')
            [CompletionResult]::new('--relations-csv', '--relations-csv', [CompletionResultType]::ParameterName, 'Print the relations CSV instead')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;check' {
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The assets CSV; its relations from the neighbour X.relations.csv when there is one')
            [CompletionResult]::new('--relations', '--relations', [CompletionResultType]::ParameterName, 'The relations CSV, when not the neighbour of --assets')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical')
            [CompletionResult]::new('--scale', '--scale', [CompletionResultType]::ParameterName, 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;list' {
            [CompletionResult]::new('--where', '--where', [CompletionResultType]::ParameterName, 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several')
            [CompletionResult]::new('--related-to', '--related-to', [CompletionResultType]::ParameterName, 'Only assets related to ASSET (id or UUID), in either direction')
            [CompletionResult]::new('--relation', '--relation', [CompletionResultType]::ParameterName, 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The registry of a built-in preset, when not --assets')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;find' {
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The assets CSV; its relations from the neighbour X.relations.csv when there is one')
            [CompletionResult]::new('--relations', '--relations', [CompletionResultType]::ParameterName, 'The relations CSV, when not the neighbour of --assets')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical')
            [CompletionResult]::new('--scale', '--scale', [CompletionResultType]::ParameterName, 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most N results per query')
            [CompletionResult]::new('--queries', '--queries', [CompletionResultType]::ParameterName, 'Run each line of FILE (`-` for stdin) as a query; each result carries its "query"')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;export' {
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'The assets CSV; its relations from the neighbour X.relations.csv when there is one')
            [CompletionResult]::new('--relations', '--relations', [CompletionResultType]::ParameterName, 'The relations CSV, when not the neighbour of --assets')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical')
            [CompletionResult]::new('--scale', '--scale', [CompletionResultType]::ParameterName, 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;import' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The assets CSV to write')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The assets CSV to write')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'iiot;assets;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the registry''s assets CSV (or, with --relations-csv, its relations CSV)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})')
            [CompletionResult]::new('find', 'find', [CompletionResultType]::ParameterValue, 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;assets;help;show' {
            break
        }
        'iiot;assets;help;check' {
            break
        }
        'iiot;assets;help;list' {
            break
        }
        'iiot;assets;help;find' {
            break
        }
        'iiot;assets;help;export' {
            break
        }
        'iiot;assets;help;import' {
            break
        }
        'iiot;assets;help;help' {
            break
        }
        'iiot;help' {
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'simulate')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'store')
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'cat')
            [CompletionResult]::new('detect', 'detect', [CompletionResultType]::ParameterValue, 'detect')
            [CompletionResult]::new('modbus-serve', 'modbus-serve', [CompletionResultType]::ParameterValue, 'modbus-serve')
            [CompletionResult]::new('poll', 'poll', [CompletionResultType]::ParameterValue, 'poll')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'model')
            [CompletionResult]::new('rollup', 'rollup', [CompletionResultType]::ParameterValue, 'rollup')
            [CompletionResult]::new('derive', 'derive', [CompletionResultType]::ParameterValue, 'derive')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'query')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'inspect')
            [CompletionResult]::new('plot', 'plot', [CompletionResultType]::ParameterValue, 'plot')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'serve')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'notify')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'ack')
            [CompletionResult]::new('mqtt-pub', 'mqtt-pub', [CompletionResultType]::ParameterValue, 'mqtt-pub')
            [CompletionResult]::new('mqtt-sub', 'mqtt-sub', [CompletionResultType]::ParameterValue, 'mqtt-sub')
            [CompletionResult]::new('forecast', 'forecast', [CompletionResultType]::ParameterValue, 'forecast')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'man')
            [CompletionResult]::new('assets', 'assets', [CompletionResultType]::ParameterValue, 'assets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;help;simulate' {
            break
        }
        'iiot;help;store' {
            break
        }
        'iiot;help;cat' {
            break
        }
        'iiot;help;detect' {
            break
        }
        'iiot;help;modbus-serve' {
            break
        }
        'iiot;help;poll' {
            break
        }
        'iiot;help;model' {
            break
        }
        'iiot;help;rollup' {
            break
        }
        'iiot;help;derive' {
            break
        }
        'iiot;help;query' {
            break
        }
        'iiot;help;inspect' {
            break
        }
        'iiot;help;plot' {
            break
        }
        'iiot;help;serve' {
            break
        }
        'iiot;help;notify' {
            break
        }
        'iiot;help;ack' {
            break
        }
        'iiot;help;mqtt-pub' {
            break
        }
        'iiot;help;mqtt-sub' {
            break
        }
        'iiot;help;forecast' {
            break
        }
        'iiot;help;completions' {
            break
        }
        'iiot;help;man' {
            break
        }
        'iiot;help;assets' {
            break
        }
        'iiot;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

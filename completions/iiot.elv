
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
            cand store 'Store readings and alarm events in a SQLite historian or a Parquet lake'
            cand cat 'Validate and normalise reading streams'
            cand detect 'Find anomalies and raise alarms in reading streams'
            cand modbus-serve 'Serve readings as Modbus TCP registers'
            cand poll 'Poll Modbus TCP devices and write readings'
            cand model 'Print, list and check plant models'
            cand rollup 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)'
            cand derive 'Compute the model''s derived tags (its `formula` column) from a stream'
            cand query 'Read readings from a store, a Parquet file or a lake'
            cand inspect 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
            cand plot 'Draw readings as an SVG chart: one panel per series'
            cand serve 'Serve stores and lakes over HTTP: a JSON API, ingest, a live dashboard'
            cand notify 'Send alarm events to people: webhooks, email, commands'
            cand ack 'Acknowledge an alarm (ISA-18.2) in a SQLite or PostgreSQL store'
            cand mqtt-pub 'Publish readings to an MQTT broker, one topic per asset and tag'
            cand mqtt-sub 'Subscribe to an MQTT broker and write what arrives as readings'
            cand forecast 'Forecast each series: point, prediction intervals, time to a limit'
            cand completions 'Print shell completions for iiot'
            cand man 'Write man pages for iiot and each of its verbs'
            cand assets 'The asset registry: what each asset is, where it stands, how it is related'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;simulate'= {
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
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
        &'iiot;store'= {
            cand --partition-by 'Partition the lake by `date` or by `date,asset`'
            cand --roll-rows 'Lake: write a partition''s file once it holds this many rows'
            cand --roll-age 'Lake: write a partition''s file once its first row is this old'
            cand --value-encoding 'Lake: encoding of the value column (dictionary measured smallest on simulated plant data: 2.26 MB vs plain 2.46 MB vs byte-stream-split 4.46 MB for 2 h of wellhead)'
            cand --sync 'SQLite: durability of each commit'
            cand --on-conflict 'SQLite: a reading of a series and time already stored is kept (ignore) or overwritten (replace)'
            cand --batch-rows 'SQLite: commit after this many readings'
            cand --batch-time 'SQLite: commit once the first uncommitted reading is this old'
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --busy-timeout 'SQLite: how long a commit waits for another process''s write lock (a retention run, a second store) before its batch goes to the rejects and store stops'
            cand --reconnect-for 'PostgreSQL: how long to keep reconnecting, with the batch in hand, after the connection is lost, before the batch goes to the rejects'
            cand --parquet 'Write a Parquet lake into the TARGET folder instead of SQLite'
            cand --tee 'Pass every record on to stdout, so store can stand mid-pipeline'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
        &'iiot;detect'= {
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --rules 'Rules CSV (reloaded on SIGHUP); see above for its columns'
            cand --zscore 'Rolling z-score rule on every series: flag beyond K standard deviations'
            cand --window 'Readings in the z-score window [default: 50]'
            cand --min-samples 'Readings the z-score window needs before it judges [default: 10, or the window if smaller]'
            cand --roc 'Rate-of-change rule on every series: 5/s, 30/min, 100/h'
            cand --stuck 'Stuck rule on every series: N identical values in a row (the default set uses 10)'
            cand --gap 'Gap rule on every series: silent for FACTOR times the usual interval (3x)'
            cand --cusum 'CUSUM change rule on every series: raised when a one-sided sum of standardised residuals passes H noise widths (the default set uses 12)'
            cand --train 'The multivariate rule''s clean training period, from each asset''s first reading: 6h, 400s [default: 6h]'
            cand --mv-variance 'Share of the tags'' correlation the multivariate rule''s kept components explain [default: 0.9]'
            cand --mv-p 'Quantile of the training rows'' statistics taken as the control limits [default: 0.999]'
            cand --mv-smooth 'Rows whose median T² and Q are judged (1: each row alone) [default: 5]'
            cand --mv-lag 'Rows over which the multivariate rule judges a persistent tag''s change rather than its level (0: every tag by its level) [default: 10]'
            cand --mv-clear 'Quantile of the training rows'' statistics under which a raised multivariate alarm clears [default: 0.9]'
            cand --mv-stat 'The statistics that raise the multivariate alarm: t2, q or t2,q (q alone: only a broken correlation, not a move along the learnt one) [default: t2,q]'
            cand --state 'Keep windows and active alarms here: restored at start, saved at exit (end of input, a closed pipe, or SIGINT/SIGTERM after the line being read; a second signal ends at once, unsaved)'
            cand --score-json 'Write the score as JSON to FILE (implies --score''s counting)'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
            cand --multivariate 'Judge each asset as a whole (Hotelling''s T² and the PCA residual Q, learnt over --train; see above). Added to the other rules: it does not leave out the built-in set'
            cand --no-defaults 'Leave out the built-in zscore, stuck, gap and shift rules (only the model''s and the shorthands'' apply)'
            cand --only 'Write only the flagged readings'
            cand --events 'Write the alarm lifecycle (raised/cleared events) instead of readings'
            cand --alarm-report 'Print an alarm-health report (rate, floods, chattering, stale, time to acknowledge, standing unacknowledged, bad actors) of the events in the input and of those detect raises, instead of records; predicted alarms (forecast --until --events) are counted apart, in a section of their own'
            cand --score 'Print precision, recall, F1 and delay against the `fault` labels on stderr'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --host 'Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts)'
            cand --listen 'Address and port to listen on'
            cand --allow 'Also admit clients from this network (CIDR written as its network address, or one address); repeat for more. Loopback is always admitted; 0.0.0.0/0 and ::/0 admit everyone'
            cand --max-clients 'Most clients connected at once; more are closed on connect'
            cand --idle-timeout 'Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers)'
            cand --addr-file 'Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0)'
            cand --for 'Stop serving after this long (for scripts and tests); without it, serve until stopped'
            cand --rejects 'Write rejected lines here as NDJSON instead of to stderr'
            cand --writable 'Accept writes (function codes 5, 6, 15, 16, 22, 23) and write each written tag to stdout as a reading'
            cand --strict-map 'Answer exception 2 (illegal data address) for unmapped addresses inside a table''s span too, not only outside it'
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
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --target 'Target for model rows without a `host`'
            cand --interval 'Time between polls of a target; 0 polls again as soon as the last poll is answered'
            cand --count 'Poll this many times, then exit'
            cand --timeout 'How long to wait for an answer (and for a connection)'
            cand --ts 'Which time a reading carries: when its request was sent, or when the answer came'
            cand --max-gap 'Unused registers (or bits) a request may read through to join two runs of tags'
            cand --max-inflight 'Most requests awaiting an answer on one connection. Above 1, a unit that stops answering does not hold up the others; 1 suits devices that take one request at a time (pymodbus, many small PLCs)'
            cand --connections 'Connections to open to each target; its requests are dealt out over them (each connection polls its share on its own schedule; an outage is still reported once). For servers that answer one request at a time per connection (pymodbus, many gateways), N connections answer up to N requests at once'
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
            cand --assets 'Also check this asset registry (docs/assets.md; relations from its neighbour X.relations.csv) and that every asset of the model is in it, by id or UUID'
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
            cand --weight-oee '--kpi health: weight of the OEE term'
            cand --weight-scrap '--kpi health: weight of the scrap term (1 − scrap rate)'
            cand --weight-errors '--kpi health: weight of the error term (1 − share of planned time in ERROR)'
            cand --down '--kpi incidents: the machine states that make an incident'
            cand --archive 'With --retain on a store: first write the rows to delete as Parquet under DIR (one file per table and UTC day, DIR/date=D/readings.parquet, DIR/every=1h/date=D/rollup_1h.parquet), durably, and delete only then. A run killed between the two leaves rows both in the table and in the archive; the next run archives them again into the same file, where each is kept once'
            cand --now 'On a store: the time now. Buckets that end (plus --lateness) by it are closed even where a series'' latest reading is older (a series that stopped reporting), and --retain counts ages back from it (default: buckets close by each series'' latest reading; ages count from the wall clock). `now` is the wall clock'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
            cand --open '--kpi incidents: also write the incidents still running at the end of input'
            cand --dry-run 'With --retain: say what would be deleted, delete nothing'
            cand --final 'On a store: the data is complete (a historical load): close every bucket that holds a reading, the last ones included'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
        &'iiot;derive'= {
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --assets 'Scale the model to N assets as `simulate --assets N` does (SITE-1/BLR-0001 …)'
            cand --max-age 'Inputs older than this give no derived reading [default: 3 times the inputs'' usual interval]'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
        &'iiot;query'= {
            cand --asset 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several'
            cand --tag 'Tag glob; repeat or separate with commas for several'
            cand --from 'Readings at or after this time (RFC 3339, a date, or epoch ms)'
            cand --to 'Readings before this time (exclusive)'
            cand --limit 'At most N readings in all'
            cand --rollup 'Read the rollups of this width instead of the readings: a store''s table `rollup_1h` (made by `iiot rollup DB --every 1h`) or a lake''s folder `every=1h/`, as rollup records with every statistic'
            cand --order 'Output order: `series` (each series in turn, in time order) or `time` (all series merged by time, then asset, then tag; on a SQLite or PostgreSQL store in memory bounded by a page per series, on a lake by a day''s readings)'
            cand --format 'Output format'
            cand --ts-col 'The time column (default: ts, timestamp, time, datetime or event_time)'
            cand --asset-col 'The asset column (default: asset, device, device_id, id, machine or sensor_id)'
            cand --tag-col 'The tag column (default: tag, metric, signal, name or parameter)'
            cand --value-col 'The value column (default: value, val, reading or measurement)'
            cand --ts-unit 'The unit of an integer or float time column (default: guessed from its magnitude)'
            cand --at 'With --active: the time to tell the states at (default: now)'
            cand --rule 'Alarms of these rules only (globs); repeat or separate with commas'
            cand --severity 'Alarms of these severities only (low, medium, high, critical); repeat or separate with commas'
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
            cand --latest 'Only the last reading of each series (in the range), as a current-value tile shows'
            cand --alarms 'Write the stored alarm events (raised, cleared, acked) instead of readings, by time'
            cand --active 'Write one record per alarm that needs attention (state unacked, acked or rtn_unacked) at --at, then the predicted alarms whose crossing is still ahead (state predicted, "predicted":true)'
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
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
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
        &'iiot;plot'= {
            cand -o 'The SVG file to write; `-` for stdout'
            cand --output 'The SVG file to write; `-` for stdout'
            cand --asset 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several'
            cand --tag 'Tag glob; repeat or separate with commas for several'
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --from 'Draw from this time (RFC 3339, a date, or epoch ms); default: the first reading'
            cand --to 'Draw up to this time (exclusive); default: the last reading'
            cand --width 'Width of the chart in pixels'
            cand --panel-height 'Height of each panel in pixels'
            cand --max-panels 'Draw at most N series; the rest are counted on stderr'
            cand --title 'A title above the panels'
            cand --field 'Draw this numeric field of each record instead of `value`: a KPI''s `scrap_rate`, a health score''s `health_oee`, a rollup''s `max`. A field inside an object is named by its path (`scrap_rate.quality`); an object of numbers draws one series per member. The series is named `TAG.FIELD`; records without the field are left out and counted'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;serve'= {
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --assets 'The asset registry CSV the `where`, `related_to` and `relation` parameters select from (its relations from the neighbour X.relations.csv). Default: the registry of --preset'
            cand --listen 'Address and port to listen on (port 0 picks a free one)'
            cand --addr-file 'Once listening, write the bound ADDR:PORT to FILE'
            cand --token-file 'A file holding the bearer token ingest requires (needed with --ingest beyond loopback)'
            cand --cors 'Send CORS headers admitting this origin (`*` for any); none unless given'
            cand --max-body 'Largest request body'
            cand --rate 'Requests a second each client address may make (429 past it)'
            cand --slow-client 'How long a client may take to send its request or to take the next part of an answer'
            cand --ingest-buffer 'Accepted records that may wait for stdout before ingest answers 503'
            cand --max-connections 'Most connections open at once; more wait to be accepted'
            cand --for 'Stop serving after this long (for scripts and tests); without it, serve until stopped'
            cand --ingest 'Accept records on POST /ingest and /ingest/batch and write them to stdout'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;notify'= {
            cand --config 'Channels and routes (TOML); errors name line and column'
            cand --webhook 'Send every alarm to this URL as the notification''s JSON (no config file)'
            cand --token-env 'With --webhook: a bearer token from this environment variable'
            cand --token-file 'With --webhook: a bearer token from this file'
            cand --email 'Send every alarm by email to ADDR (repeatable; no config file)'
            cand --smtp 'With --email: the SMTP server (password from IIOT_SMTP_PASSWORD)'
            cand --smtp-tls 'With --email: TLS to the SMTP server'
            cand --smtp-user 'With --email: the SMTP user'
            cand --from 'With --email: the sender'
            cand --group-wait 'With --webhook/--email: wait this long for more alarms before the first notification of a group'
            cand --group-interval 'With --webhook/--email: wait this long after a notification before the next of the same group'
            cand --repeat-interval 'With --webhook/--email: repeat still-active alarms this often'
            cand --max-per-hour 'At most N notifications per channel per hour (of event time); the surplus is summarised. Applies to channels whose config sets none; 0: no limit'
            cand --max-attempts 'Attempts per notification before it is dead-lettered'
            cand --backoff 'The first retry''s wait; each next doubles, with jitter'
            cand --backoff-max 'The longest wait between attempts (a Retry-After may ask for longer, up to 1h)'
            cand --timeout 'Give up one attempt after this long'
            cand --ca 'Trust only the certificates in this PEM file for HTTPS and SMTP TLS'
            cand --dead-letter 'Append notifications not delivered after --max-attempts here (NDJSON, fsynced)'
            cand --replay 'Send the notifications of a dead-letter file again, instead of reading events'
            cand --store 'A SQLite store or `postgresql://` URL whose acknowledgements (`iiot ack`, stored `acked` events) are checked before each repeat: an alarm acknowledged there is not repeated'
            cand --state 'The outbox and grouping state, kept across restarts (fsynced)'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --dry-run 'Send nothing: write what would be sent to whom (body, subject) as records'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;ack'= {
            cand --asset 'The alarm''s asset'
            cand --tag 'The alarm''s tag'
            cand --rule 'The alarm''s rule'
            cand --by 'Who acknowledges'
            cand --note 'A note kept with the acknowledgement'
            cand --at 'The acknowledgement''s time (default: now)'
            cand --busy-timeout 'How long to wait for another process''s write lock (PostgreSQL: to reconnect)'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;mqtt-pub'= {
            cand --broker 'The broker, HOST:PORT'
            cand --topic 'The topic template: {asset} and {tag} each a whole level'
            cand --payload 'What a message carries'
            cand --qos '0: at most once; 1: at least once, acknowledged by the broker'
            cand --client-id 'The MQTT client id (default: iiot-pub- and the process id)'
            cand --username 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)'
            cand --inflight 'QoS 1: how many messages may await the broker''s acknowledgement'
            cand --ack-timeout 'At the end, how long to wait without progress for the broker''s acknowledgements before exiting 1'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --retain 'Ask the broker to keep each topic''s last message for new subscribers'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;mqtt-sub'= {
            cand --broker 'The broker, HOST:PORT'
            cand --topic 'A topic filter to subscribe to (repeatable; default: the template''s, plant/+/+)'
            cand --template 'How a bare value''s topic names its asset and tag'
            cand --qos '0: at most once; 1: at least once, with a persistent session'
            cand --client-id 'The MQTT client id: the name of the persistent session'
            cand --username 'The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD)'
            cand --count 'Stop after this many messages'
            cand --idle 'Stop after this long without a message'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --clean 'A clean session: nothing kept while mqtt-sub is stopped'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
        &'iiot;forecast'= {
            cand --model 'A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from)'
            cand --preset 'A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`)'
            cand --horizon 'How far ahead: a duration (24h) or a number of buckets'
            cand --every 'Bucket width, for readings that are not rollups [default: the series'' own interval]'
            cand --level 'Prediction interval levels in percent'
            cand --season 'Seasonal periods (24h,7d), or `none` [default: found in the data]'
            cand --method 'The model: auto (seasonal ETS, MSTL + AutoETS, AutoETS, fallbacks), mstl (MSTL + AutoETS for short seasons too) or snaive (seasonal naive)'
            cand --history 'Buckets the model fits on, at most: a number or a duration (30d)'
            cand --refit 'Refit on a live stream: alone, at each new bucket; or every DURATION'
            cand --until 'Write when each series crosses a limit: ''value < 25'', ''value >= 80'', or hi_hi, hi, lo, lo_lo of the model'
            cand --windows 'Backtest origins'
            cand --step 'Buckets between backtest origins [default: the horizon]'
            cand --rejects 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr'
            cand --format 'Output format'
            cand --events 'With --until: write predictive alarm events ("event":"predicted")'
            cand --backtest 'Evaluate by rolling origin instead of forecasting'
            cand --strict 'Stop with exit 1 at the first bad line; what came before it is kept'
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
        &'iiot;assets'= {
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the registry''s assets CSV (or, with --relations-csv, its relations CSV)'
            cand check 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column'
            cand list 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})'
            cand find 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why'
            cand export 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR'
            cand import 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;assets;show'= {
            cand --assets 'The assets CSV; its relations from the neighbour X.relations.csv when there is one'
            cand --relations 'The relations CSV, when not the neighbour of --assets'
            cand --preset 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical'
            cand --scale 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks'
            cand --relations-csv 'Print the relations CSV instead'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;check'= {
            cand --assets 'The assets CSV; its relations from the neighbour X.relations.csv when there is one'
            cand --relations 'The relations CSV, when not the neighbour of --assets'
            cand --preset 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical'
            cand --scale 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;list'= {
            cand --where 'Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several'
            cand --related-to 'Only assets related to ASSET (id or UUID), in either direction'
            cand --relation 'With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in)'
            cand --assets 'The asset registry CSV; its relations are read from FILE''s neighbour X.relations.csv when there is one. Default: the registry of the preset given'
            cand --preset 'The registry of a built-in preset, when not --assets'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;find'= {
            cand --assets 'The assets CSV; its relations from the neighbour X.relations.csv when there is one'
            cand --relations 'The relations CSV, when not the neighbour of --assets'
            cand --preset 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical'
            cand --scale 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks'
            cand --limit 'At most N results per query'
            cand --queries 'Run each line of FILE (`-` for stdin) as a query; each result carries its "query"'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;export'= {
            cand --assets 'The assets CSV; its relations from the neighbour X.relations.csv when there is one'
            cand --relations 'The relations CSV, when not the neighbour of --assets'
            cand --preset 'The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical'
            cand --scale 'Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;import'= {
            cand -o 'The assets CSV to write'
            cand --output 'The assets CSV to write'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -v 'Say more on stderr (repeat for more)'
            cand --verbose 'Say more on stderr (repeat for more)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'iiot;assets;help'= {
            cand show 'Print the registry''s assets CSV (or, with --relations-csv, its relations CSV)'
            cand check 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column'
            cand list 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})'
            cand find 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why'
            cand export 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR'
            cand import 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;assets;help;show'= {
        }
        &'iiot;assets;help;check'= {
        }
        &'iiot;assets;help;list'= {
        }
        &'iiot;assets;help;find'= {
        }
        &'iiot;assets;help;export'= {
        }
        &'iiot;assets;help;import'= {
        }
        &'iiot;assets;help;help'= {
        }
        &'iiot;help'= {
            cand simulate 'Simulate plant telemetry as readings'
            cand store 'Store readings and alarm events in a SQLite historian or a Parquet lake'
            cand cat 'Validate and normalise reading streams'
            cand detect 'Find anomalies and raise alarms in reading streams'
            cand modbus-serve 'Serve readings as Modbus TCP registers'
            cand poll 'Poll Modbus TCP devices and write readings'
            cand model 'Print, list and check plant models'
            cand rollup 'Summarise readings into time buckets (count, min, max, mean, stddev, first, last, time-weighted mean)'
            cand derive 'Compute the model''s derived tags (its `formula` column) from a stream'
            cand query 'Read readings from a store, a Parquet file or a lake'
            cand inspect 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
            cand plot 'Draw readings as an SVG chart: one panel per series'
            cand serve 'Serve stores and lakes over HTTP: a JSON API, ingest, a live dashboard'
            cand notify 'Send alarm events to people: webhooks, email, commands'
            cand ack 'Acknowledge an alarm (ISA-18.2) in a SQLite or PostgreSQL store'
            cand mqtt-pub 'Publish readings to an MQTT broker, one topic per asset and tag'
            cand mqtt-sub 'Subscribe to an MQTT broker and write what arrives as readings'
            cand forecast 'Forecast each series: point, prediction intervals, time to a limit'
            cand completions 'Print shell completions for iiot'
            cand man 'Write man pages for iiot and each of its verbs'
            cand assets 'The asset registry: what each asset is, where it stands, how it is related'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'iiot;help;simulate'= {
        }
        &'iiot;help;store'= {
        }
        &'iiot;help;cat'= {
        }
        &'iiot;help;detect'= {
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
        &'iiot;help;rollup'= {
        }
        &'iiot;help;derive'= {
        }
        &'iiot;help;query'= {
        }
        &'iiot;help;inspect'= {
        }
        &'iiot;help;plot'= {
        }
        &'iiot;help;serve'= {
        }
        &'iiot;help;notify'= {
        }
        &'iiot;help;ack'= {
        }
        &'iiot;help;mqtt-pub'= {
        }
        &'iiot;help;mqtt-sub'= {
        }
        &'iiot;help;forecast'= {
        }
        &'iiot;help;completions'= {
        }
        &'iiot;help;man'= {
        }
        &'iiot;help;assets'= {
            cand show 'Print the registry''s assets CSV (or, with --relations-csv, its relations CSV)'
            cand check 'Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column'
            cand list 'The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"})'
            cand find 'Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why'
            cand export 'Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR'
            cand import 'Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv)'
        }
        &'iiot;help;assets;show'= {
        }
        &'iiot;help;assets;check'= {
        }
        &'iiot;help;assets;list'= {
        }
        &'iiot;help;assets;find'= {
        }
        &'iiot;help;assets;export'= {
        }
        &'iiot;help;assets;import'= {
        }
        &'iiot;help;help'= {
        }
    ]
    $completions[$command]
}

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
complete -c iiot -n "__fish_iiot_needs_command" -f -a "cat" -d 'Validate and normalise reading streams'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "model" -d 'Print, list and check plant models'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "query" -d 'Read readings from a store, a Parquet file or a lake'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "inspect" -d 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "completions" -d 'Print shell completions for iiot'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "man" -d 'Write man pages for iiot and each of its verbs'
complete -c iiot -n "__fish_iiot_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l preset -d 'Built-in model to simulate (see `iiot model --list`); wellhead when neither --preset nor --model is given' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l model -d 'Plant model CSV to simulate (see docs/model.md)' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l assets -d 'Scale the model to N assets, named by its first asset\'s prefix (WH-0001 … WH-1000); asset i repeats the model\'s asset i mod k' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l seed -d 'Seed of the random streams' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l start -d 'Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime]' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l interval -d 'Time between two readings of a series' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l duration -d 'Simulate this long (24h, 7d)' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l count -d 'Simulate this many intervals (readings per series)' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l end -d 'Stop before this time' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l faults -d 'Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins' -r
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (the contract of DESIGN §2)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l realtime -d 'Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l label -d 'Write the ground truth of injected faults into each affected reading\'s `fault` field'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -l line-buffered -d 'Flush after every interval, for live pipelines (always so with --realtime or on a terminal)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand simulate" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l rejects -d 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr' -r -F
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (the contract of DESIGN §2)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l strict -d 'Stop with exit 1 at the first bad line, writing nothing after it'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -l line-buffered -d 'Flush after every record, for live pipelines'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand cat" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -l preset -d 'Print the built-in preset NAME as CSV' -r
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -l list -d 'List the built-in presets'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
complete -c iiot -n "__fish_iiot_using_subcommand model; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'
complete -c iiot -n "__fish_iiot_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand query" -l asset -d 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l tag -d 'Tag glob; repeat or separate with commas for several' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l from -d 'Readings at or after this time (RFC 3339, a date, or epoch ms)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l to -d 'Readings before this time (exclusive)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l limit -d 'At most N readings in all' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l format -d 'Output format' -r -f -a "ndjson\t'One JSON object per line (the contract of DESIGN §2)'
csv\t'A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out'"
complete -c iiot -n "__fish_iiot_using_subcommand query" -l ts-col -d 'The time column (default: ts, timestamp, time, datetime or event_time)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l asset-col -d 'The asset column (default: asset, device, device_id, id, machine or sensor_id)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l tag-col -d 'The tag column (default: tag, metric, signal, name or parameter)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l value-col -d 'The value column (default: value, val, reading or measurement)' -r
complete -c iiot -n "__fish_iiot_using_subcommand query" -l ts-unit -d 'The unit of an integer or float time column (default: guessed from its magnitude)' -r -f -a "s\t''
ms\t''
us\t''
ns\t''"
complete -c iiot -n "__fish_iiot_using_subcommand query" -l latest -d 'Only the last reading of each series (in the range), as a current-value tile shows'
complete -c iiot -n "__fish_iiot_using_subcommand query" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand query" -s v -l verbose -d 'Say more on stderr (repeat for more)'
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
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -l json -d 'Write JSON even on a terminal'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c iiot -n "__fish_iiot_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand completions" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s v -l verbose -d 'Say more on stderr (repeat for more)'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s h -l help -d 'Print help'
complete -c iiot -n "__fish_iiot_using_subcommand man" -s V -l version -d 'Print version'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "simulate" -d 'Simulate plant telemetry as readings'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "cat" -d 'Validate and normalise reading streams'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "model" -d 'Print, list and check plant models'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "query" -d 'Read readings from a store, a Parquet file or a lake'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "inspect" -d 'Report what a store, a Parquet file or a lake holds, and what is wrong with it'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "completions" -d 'Print shell completions for iiot'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "man" -d 'Write man pages for iiot and each of its verbs'
complete -c iiot -n "__fish_iiot_using_subcommand help; and not __fish_seen_subcommand_from simulate cat model query inspect completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c iiot -n "__fish_iiot_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "check" -d 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states'

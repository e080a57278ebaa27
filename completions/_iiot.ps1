
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
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'Validate and normalise reading streams')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'Print, list and check plant models')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Read readings from a store, a Parquet file or a lake')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what a store, a Parquet file or a lake holds, and what is wrong with it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions for iiot')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for iiot and each of its verbs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;simulate' {
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'Built-in model to simulate (see `iiot model --list`); wellhead when neither --preset nor --model is given')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Plant model CSV to simulate (see docs/model.md)')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'Scale the model to N assets, named by its first asset''s prefix (WH-0001 … WH-1000); asset i repeats the model''s asset i mod k')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the random streams')
            [CompletionResult]::new('--start', '--start', [CompletionResultType]::ParameterName, 'Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between two readings of a series')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Simulate this long (24h, 7d)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Simulate this many intervals (readings per series)')
            [CompletionResult]::new('--end', '--end', [CompletionResultType]::ParameterName, 'Stop before this time')
            [CompletionResult]::new('--faults', '--faults', [CompletionResultType]::ParameterName, 'Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--realtime', '--realtime', [CompletionResultType]::ParameterName, 'Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'Write the ground truth of injected faults into each affected reading''s `fault` field')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every interval, for live pipelines (always so with --realtime or on a terminal)')
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
        'iiot;cat' {
            [CompletionResult]::new('--rejects', '--rejects', [CompletionResultType]::ParameterName, 'Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop with exit 1 at the first bad line, writing nothing after it')
            [CompletionResult]::new('--line-buffered', '--line-buffered', [CompletionResultType]::ParameterName, 'Flush after every record, for live pipelines')
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
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the built-in presets')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;model;check' {
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
        'iiot;query' {
            [CompletionResult]::new('--asset', '--asset', [CompletionResultType]::ParameterName, 'Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Tag glob; repeat or separate with commas for several')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Readings at or after this time (RFC 3339, a date, or epoch ms)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Readings before this time (exclusive)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most N readings in all')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--ts-col', '--ts-col', [CompletionResultType]::ParameterName, 'The time column (default: ts, timestamp, time, datetime or event_time)')
            [CompletionResult]::new('--asset-col', '--asset-col', [CompletionResultType]::ParameterName, 'The asset column (default: asset, device, device_id, id, machine or sensor_id)')
            [CompletionResult]::new('--tag-col', '--tag-col', [CompletionResultType]::ParameterName, 'The tag column (default: tag, metric, signal, name or parameter)')
            [CompletionResult]::new('--value-col', '--value-col', [CompletionResultType]::ParameterName, 'The value column (default: value, val, reading or measurement)')
            [CompletionResult]::new('--ts-unit', '--ts-unit', [CompletionResultType]::ParameterName, 'The unit of an integer or float time column (default: guessed from its magnitude)')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Only the last reading of each series (in the range), as a current-value tile shows')
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
        'iiot;inspect' {
            [CompletionResult]::new('--gap-factor', '--gap-factor', [CompletionResultType]::ParameterName, 'A gap is an interval longer than this many median intervals')
            [CompletionResult]::new('--ts-col', '--ts-col', [CompletionResultType]::ParameterName, 'The time column (default: ts, timestamp, time, datetime or event_time)')
            [CompletionResult]::new('--asset-col', '--asset-col', [CompletionResultType]::ParameterName, 'The asset column (default: asset, device, device_id, id, machine or sensor_id)')
            [CompletionResult]::new('--tag-col', '--tag-col', [CompletionResultType]::ParameterName, 'The tag column (default: tag, metric, signal, name or parameter)')
            [CompletionResult]::new('--value-col', '--value-col', [CompletionResultType]::ParameterName, 'The value column (default: value, val, reading or measurement)')
            [CompletionResult]::new('--ts-unit', '--ts-unit', [CompletionResultType]::ParameterName, 'The unit of an integer or float time column (default: guessed from its magnitude)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Write JSON even on a terminal')
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
        'iiot;help' {
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Simulate plant telemetry as readings')
            [CompletionResult]::new('cat', 'cat', [CompletionResultType]::ParameterValue, 'Validate and normalise reading streams')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'Print, list and check plant models')
            [CompletionResult]::new('query', 'query', [CompletionResultType]::ParameterValue, 'Read readings from a store, a Parquet file or a lake')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Report what a store, a Parquet file or a lake holds, and what is wrong with it')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions for iiot')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for iiot and each of its verbs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'iiot;help;simulate' {
            break
        }
        'iiot;help;cat' {
            break
        }
        'iiot;help;model' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states')
            break
        }
        'iiot;help;model;check' {
            break
        }
        'iiot;help;query' {
            break
        }
        'iiot;help;inspect' {
            break
        }
        'iiot;help;completions' {
            break
        }
        'iiot;help;man' {
            break
        }
        'iiot;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

//! `iiot model`: the presets it lists and prints, `model check` naming the
//! line and column of every problem in a model CSV (docs/model.md), and
//! `simulate --model` running a hand-written model.

use std::collections::BTreeSet;

use crate::util::{Workdir, fails_with, num, ok, parse_ndjson, run_ok, text};

const PRESETS: [&str; 5] = ["wellhead", "fermenter", "factory", "boiler", "chemical"];

#[test]
fn model_list_names_the_five_presets() {
    let wd = Workdir::new("model-list");
    let out = run_ok(&wd, wd.cmd("model").arg("--list"));
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, PRESETS, "{out}");
}

#[test]
fn model_presets_pass_check_on_stdin() {
    let wd = Workdir::new("model-presets-check");
    for preset in PRESETS {
        let csv_text = run_ok(&wd, wd.cmd("model").args(["--preset", preset]));
        assert!(
            csv_text.starts_with("asset,tag,"),
            "{preset}: {}",
            &csv_text[..csv_text.len().min(200)]
        );
        let mut cmd = wd.cmd("model");
        cmd.args(["check", "-"]);
        let out = wd.run_with_stdin(&mut cmd, csv_text.clone());
        let stdout = ok(&cmd, &out);
        assert!(stdout.starts_with("stdin: ok"), "{preset}: {stdout}");
        // The CSV is what the preset simulates: same assets and tags.
        let rows: BTreeSet<(String, String)> = csv::Reader::from_reader(csv_text.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("a CSV row");
                (r[0].to_string(), r[1].to_string())
            })
            .collect();
        let sim = run_ok(
            &wd,
            wd.cmd("simulate")
                .args(["--preset", preset, "--count", "1"]),
        );
        let series: BTreeSet<(String, String)> = parse_ndjson(&sim)
            .iter()
            .map(|r| (text(r, "asset").to_string(), text(r, "tag").to_string()))
            .collect();
        assert_eq!(series, rows, "{preset}: simulated series vs model rows");
    }
}

#[test]
fn model_check_accepts_a_good_file() {
    let wd = Workdir::new("model-check-good");
    wd.write("plant.csv", SMALL_MODEL);
    let out = run_ok(&wd, wd.cmd("model").args(["check", "plant.csv"]));
    assert!(out.starts_with("plant.csv: ok"), "{out}");
}

#[test]
fn model_check_err_missing_file() {
    let wd = Workdir::new("model-check-missing");
    let mut cmd = wd.cmd("model");
    cmd.args(["check", "nope.csv"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("nope.csv"), "{stderr}");
}

// ---------------------------------------------------------------------------
// model check: every problem with its line and column
// ---------------------------------------------------------------------------

/// Runs `model check plant.csv` on `csv_text` and asserts that it fails
/// with exit 1 and reports exactly the expected problems, each as
/// `plant.csv: line N, column C: message` with the given fragments in the
/// message.
fn expect_problems(wd: &Workdir, csv_text: &str, expected: &[(u64, &str, &[&str])]) {
    wd.write("plant.csv", csv_text);
    let mut cmd = wd.cmd("model");
    cmd.args(["check", "plant.csv"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(out.stdout.is_empty(), "stdout on failure");
    let problems: Vec<&str> = stderr
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("plant.csv: line "))
        .collect();
    for (line, column, fragments) in expected {
        let prefix = format!("plant.csv: line {line}, column {column}: ");
        let found = problems.iter().any(|p| {
            p.strip_prefix(&prefix)
                .is_some_and(|msg| fragments.iter().all(|f| msg.contains(f)))
        });
        assert!(
            found,
            "no problem `{prefix}…` mentioning {fragments:?} in:\n{stderr}"
        );
    }
    assert_eq!(
        problems.len(),
        expected.len(),
        "problems reported vs expected {expected:?}:\n{stderr}"
    );
    let n = expected.len();
    let header = format!("plant.csv: {n} problem{}", if n == 1 { "" } else { "s" });
    assert!(stderr.contains(&header), "no `{header}` in:\n{stderr}");
}

macro_rules! check_cases {
    ($(
        $name:ident: $csv:expr => [$(($line:expr, $col:expr, [$($frag:expr),* $(,)?])),* $(,)?];
    )*) => {$(
        #[test]
        fn $name() {
            let wd = Workdir::new(stringify!($name));
            let expected: &[(u64, &str, &[&str])] = &[$(($line, $col, &[$($frag),*])),*];
            expect_problems(&wd, $csv, expected);
        }
    )*};
}

check_cases! {
    model_check_err_unknown_column_in_header:
        "asset,tag,unti,nominal\nA,t,degC,1\n"
        => [(1, "3 (\"unti\")", ["unknown column", "unti"])];

    model_check_err_unknown_type:
        "asset,tag,type\nA,t,f32\nA,u,f31\n"
        => [(3, "type", ["unknown type", "\"f31\""])];

    model_check_err_unknown_order:
        "asset,tag,type,order\nA,t,f32,CDAB\nA,u,f32,ABDC\n"
        => [(3, "order", ["unknown order", "\"ABDC\""])];

    model_check_err_unknown_profile:
        "asset,tag,profile\nA,t,walk\nA,u,sawtooth\n"
        => [(3, "profile", ["unknown profile", "\"sawtooth\""])];

    model_check_err_unknown_kind:
        "asset,tag,kind\nA,t,analog\nA,u,gauge\n"
        => [(3, "kind", ["unknown kind", "\"gauge\""])];

    model_check_err_unknown_table:
        "asset,tag,table,address,type\nA,t,input,0,f32\nA,u,holdings,0,f32\n"
        => [(3, "table", ["unknown table", "\"holdings\""])];

    model_check_err_non_numeric_cells:
        "asset,tag,nominal,min,max\nA,t,1O0,0,200\nA,u,5,zero,10\nA,v,NaN,,\nA,w,5,0,10\n"
        => [
            (2, "nominal", ["\"1O0\""]),
            (3, "min", ["\"zero\""]),
            (4, "nominal", ["\"NaN\""]),
        ];

    model_check_err_limits_out_of_order:
        concat!(
            "asset,tag,lo_lo,lo,hi,hi_hi\n",
            "A,a,0,50,40,100\n",   // 2: hi below lo
            "A,b,20,10,40,100\n",  // 3: lo below lo_lo
            "A,c,0,10,40,30\n",    // 4: hi_hi below hi
            "A,d,50,,40,\n",       // 5: hi below lo_lo, lo not set
            "A,e,10,10,10,10\n",   // equal limits are in order
            "A,f,0,10,40,100\n",
        )
        => [
            (2, "hi", ["40", "50"]),
            (3, "lo", ["10", "20"]),
            (4, "hi_hi", ["30", "40"]),
            (5, "hi", ["40", "50"]),
        ];

    model_check_err_duplicate_asset_tag_names_the_first_line:
        "asset,tag\nA,t\nA,u\nA,t\nB,t\nA,t\n"
        => [
            (4, "tag", ["A/t", "line 2"]),
            (6, "tag", ["A/t", "line 2"]),
        ];

    model_check_err_overlapping_registers_name_both_lines:
        concat!(
            "asset,tag,unit_id,table,address,type\n",
            "A,p,1,holding,0,f32\n",     // 2: registers 0-1
            "A,q,1,holding,1,u16\n",     // 3: inside p
            "A,r,2,holding,0,f32\n",     // another unit: fine
            "A,s,1,input,0,f32\n",       // another table: fine
            "A,u,1,holding,2,u16\n",     // right after p: fine
            "A,c,1,coil,0,bool\n",       // bit tables: fine
            "A,d,1,discrete,0,bool\n",
            "A,e,1,coil,1,bool\n",
            "A,x,1,input,10,u16\n",      // 10
            "A,y,1,input,9,f32\n",       // 11: registers 9-10, over x
        )
        => [
            (3, "address", ["A/p", "line 2"]),
            (10, "address", ["A/y", "line 11"]),
        ];

    model_check_err_wide_register_overlaps_every_row_inside_it:
        "asset,tag,address,type\nA,w,10,f64\nA,x,11,u16\nA,y,12,u16\nA,z,14,u16\n"
        => [
            (3, "address", ["A/w", "line 2"]),
            (4, "address", ["A/w", "line 2"]),
        ];

    model_check_err_bit_table_with_a_word_type:
        concat!(
            "asset,tag,kind,table,address,type\n",
            "A,b,bool,coil,0,f32\n",
            "A,c,,discrete,0,f32\n",
            "A,d,bool,coil,1,bool\n",
            "A,e,bool,holding,0,bool\n",   // a bool in a register as 0/1
        )
        => [
            (2, "type", ["coil", "f32"]),
            (3, "type", ["discrete", "f32"]),
        ];

    model_check_err_min_max_must_fit_the_register:
        concat!(
            "asset,tag,min,max,type,scale,offset\n",
            "A,a,0,7000,u16,0.1,\n",          // 2: raw 70000
            "A,b,-1,100,u16,0.1,\n",          // 3: raw -10
            "A,c,0,6553.5,u16,0.1,\n",        // raw 65535 fits
            "A,d,-3276.8,3276.7,i16,0.1,\n",  // fits
            "A,e,1000,7553.5,u16,0.1,1000\n", // fits after the offset
            "A,f,0,7000,u16,1,\n",            // fits at scale 1
            "A,g,0,70000,f32,0.1,\n",         // floats have no raw range
        )
        => [
            (2, "max", ["7000", "u16"]),
            (3, "min", ["-1", "u16"]),
        ];

    model_check_err_references_to_missing_tags_and_states:
        concat!(
            "asset,tag,kind,states,follows,when\n",
            "A,mode,state,IDLE|RUNNING,,\n",
            "A,speed,,,ghost:0.5,\n",            // 3
            "A,count,counter,,,mode=RUN\n",      // 4
            "A,temp,,,,pump=ON\n",               // 5
            "A,load,,,speed:0.5,mode=RUNNING\n", // fine
            "B,speed,,,mode:1,\n",               // 7: references stay in the asset
        )
        => [
            (3, "follows", ["ghost"]),
            (4, "when", ["RUN\""]),
            (5, "when", ["pump"]),
            (7, "follows", ["mode"]),
        ];

    model_check_err_follows_cycle:
        "asset,tag,follows\nA,x,y:0.5\nA,y,z:0.5\nA,z,x:0.5\nA,w,x:0.2\nB,x,y:0.5\nB,y,\n"
        => [
            (2, "follows", ["circle"]),
            (3, "follows", ["circle"]),
            (4, "follows", ["circle"]),
        ];

    model_check_reports_every_cell_problem_of_a_file:
        concat!(
            "asset,tag,type,order,nominal\n",
            "A,a,f31,ABCD,1\n",
            "A,b,f32,ABDC,1\n",
            "A,c,f33,ABDC,x\n",   // three problems in one row
            "A,d,f32,ABCD,1\n",
        )
        => [
            (2, "type", ["\"f31\""]),
            (3, "order", ["\"ABDC\""]),
            (4, "type", ["\"f33\""]),
            (4, "order", ["\"ABDC\""]),
            (4, "nominal", ["\"x\""]),
        ];

    model_check_reports_every_cross_row_problem_of_a_file:
        concat!(
            "asset,tag,lo,hi,address,type,follows\n",
            "A,a,50,40,0,f32,\n",       // 2: hi below lo
            "A,b,,,1,u16,\n",           // 3: overlaps a
            "A,a,,,,,\n",               // 4: duplicate of line 2
            "A,c,,,,,ghost:1\n",        // 5: no such tag
        )
        => [
            (2, "hi", ["40", "50"]),
            (3, "address", ["line 2"]),
            (4, "tag", ["line 2"]),
            (5, "follows", ["ghost"]),
        ];

    model_check_reports_cell_and_cross_row_problems_together:
        concat!(
            "asset,tag,type,lo,hi\n",
            "A,t,f31,,\n",     // 2: unknown type (a cell)
            "A,u,f32,50,40\n", // 3: hi below lo (across cells)
            "A,v,f32,1O,\n",   // 4: not a number (a cell)
            "A,u,f32,,\n",     // 5: duplicate of line 3 (across rows)
        )
        => [
            (2, "type", ["\"f31\""]),
            (3, "hi", ["40", "50"]),
            (4, "lo", ["\"1O\""]),
            (5, "tag", ["line 3"]),
        ];
}

#[test]
fn model_check_on_stdin_names_stdin() {
    let wd = Workdir::new("model-check-stdin");
    let mut cmd = wd.cmd("model");
    cmd.args(["check", "-"]);
    let out = wd.run_with_stdin(&mut cmd, "asset,tag,type\nA,t,f32\nA,u,f31\n");
    let stderr = fails_with(1, &cmd, &out);
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("stdin: line 3, column type: ")),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------
// simulate --model
// ---------------------------------------------------------------------------

/// Two pumps: a state tag with weighted transitions, a stroke counter that
/// counts only while running, a flow walk, a pressure that follows it, a
/// door switch. No noise, so the relations hold exactly.
const SMALL_MODEL: &str = "\
asset,tag,unit,kind,states,transitions,nominal,min,max,noise,profile,period,amplitude,follows,when,lo,hi
P-1,mode,,state,STOP:20s|RUN:1m|FAULT:10s,STOP>RUN|RUN>STOP:2|RUN>FAULT|FAULT>STOP,,,,,,,,,,,
P-1,strokes,count,counter,,,2,0,4294967295,,,,,,mode=RUN,,
P-1,flow,m3/h,,,,50,0,100,,walk,10m,5,,,20,80
P-1,pressure,bar,,,,6,0,10,,,,,flow:0.5,,4,8
P-1,door_open,,bool,,,,,,,,1m,,,,,
P-2,mode,,state,STOP:20s|RUN:1m|FAULT:10s,STOP>RUN|RUN>STOP:2|RUN>FAULT|FAULT>STOP,,,,,,,,,,,
P-2,strokes,count,counter,,,2,0,4294967295,,,,,,mode=RUN,,
P-2,flow,m3/h,,,,50,0,100,,walk,10m,5,,,20,80
P-2,pressure,bar,,,,6,0,10,,,,,flow:0.5,,4,8
P-2,door_open,,bool,,,,,,,,1m,,,,,
";

#[test]
fn simulate_model_runs_a_hand_written_model() {
    let wd = Workdir::new("model-simulate");
    wd.write("plant.csv", SMALL_MODEL);
    let ticks = 1800;
    let out = run_ok(
        &wd,
        wd.cmd("simulate")
            .args(["--model", "plant.csv", "--count", "1800", "--seed", "11"]),
    );
    let records = parse_ndjson(&out);
    assert_eq!(records.len(), 2 * 5 * ticks);

    let tags = ["mode", "strokes", "flow", "pressure", "door_open"];
    let units = ["", "count", "m3/h", "bar", ""];
    let mut series = BTreeSet::new();
    for r in &records {
        series.insert((text(r, "asset").to_string(), text(r, "tag").to_string()));
        let i = tags
            .iter()
            .position(|t| *t == text(r, "tag"))
            .unwrap_or_else(|| panic!("unexpected tag in {r}"));
        assert_eq!(text(r, "unit"), units[i], "{r}");
        assert_eq!(r.get("unit").is_some(), !units[i].is_empty(), "{r}");
    }
    let expected: BTreeSet<(String, String)> = ["P-1", "P-2"]
        .iter()
        .flat_map(|a| tags.iter().map(move |t| (a.to_string(), t.to_string())))
        .collect();
    assert_eq!(series, expected);

    let states = ["STOP", "RUN", "FAULT"];
    let allowed = [
        ("STOP", "RUN"),
        ("RUN", "STOP"),
        ("RUN", "FAULT"),
        ("FAULT", "STOP"),
    ];
    let mut flows = Vec::new();
    for asset in ["P-1", "P-2"] {
        let of = |tag: &str| -> Vec<&serde_json::Value> {
            records
                .iter()
                .filter(|r| text(r, "asset") == asset && text(r, "tag") == tag)
                .collect()
        };
        let (mode, strokes, flow, pressure, door) = (
            of("mode"),
            of("strokes"),
            of("flow"),
            of("pressure"),
            of("door_open"),
        );
        for s in [&mode, &strokes, &flow, &pressure, &door] {
            assert_eq!(s.len(), ticks, "{asset}");
        }

        // The state tag: codes and names, only the listed transitions, and
        // every state visited in 30 minutes of dwells of 10-60 seconds.
        let mut seen = BTreeSet::new();
        for (k, r) in mode.iter().enumerate() {
            let code = num(r, "value") as usize;
            assert!(code < 3 && num(r, "value") == code as f64, "{r}");
            assert_eq!(text(r, "text"), states[code], "{r}");
            seen.insert(code);
            if k > 0 {
                let from = text(mode[k - 1], "text");
                let to = text(r, "text");
                assert!(
                    from == to || allowed.contains(&(from, to)),
                    "{asset}: {from} -> {to} is not a listed transition"
                );
            }
        }
        assert_eq!(seen.len(), 3, "{asset} visited {seen:?}");

        // The counter: 2 per second, whole steps without noise, on the
        // ticks whose state is RUN; it starts at 0.
        assert_eq!(num(strokes[0], "value"), 0.0);
        for k in 1..ticks {
            let step = num(strokes[k], "value") - num(strokes[k - 1], "value");
            let running = text(mode[k], "text") == "RUN";
            assert_eq!(
                step,
                if running { 2.0 } else { 0.0 },
                "{asset}: strokes at {} with mode {}",
                text(strokes[k], "ts"),
                text(mode[k], "text")
            );
        }

        // The follower: pressure = 6 + 0.5 × (flow − 50)/30 × 2, where 30
        // and 2 are the half-widths of the normal ranges 20–80 and 4–8.
        for k in 0..ticks {
            let f = num(flow[k], "value");
            let p = num(pressure[k], "value");
            assert!((20.0..=80.0).contains(&f), "{asset}: flow {f}");
            assert!((4.0..=8.0).contains(&p), "{asset}: pressure {p}");
            let want = 6.0 + 0.5 * (f - 50.0) / 30.0 * 2.0;
            assert!(
                (p - want).abs() < 1e-3,
                "{asset}: pressure {p} with flow {f}, expected {want}"
            );
        }
        let values: Vec<f64> = flow.iter().map(|r| num(r, "value")).collect();
        let spread = values.iter().cloned().fold(f64::MIN, f64::max)
            - values.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            spread > 1.0,
            "{asset}: the flow walk hardly moved ({spread})"
        );
        flows.push(values);

        // The bool: 0 or 1, both seen with a mean dwell of a minute.
        let bools: BTreeSet<u8> = door
            .iter()
            .map(|r| {
                let v = num(r, "value");
                assert!(v == 0.0 || v == 1.0, "{r}");
                v as u8
            })
            .collect();
        assert_eq!(bools.len(), 2, "{asset}: door_open took {bools:?}");
    }
    assert!(flows[0] != flows[1], "both pumps have the same flow");
}

#[test]
fn simulate_model_err_bad_model_names_line_and_column() {
    let wd = Workdir::new("model-simulate-bad");
    wd.write("plant.csv", "asset,tag,type\nA,t,f32\nA,u,f31\n");
    let mut cmd = wd.cmd("simulate");
    cmd.args(["--model", "plant.csv", "--count", "1"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("plant.csv: line 3, column type: "),
        "{stderr}"
    );
}

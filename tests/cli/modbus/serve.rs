//! modbus-serve: values, exception responses, writes, unmapped tags.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use super::{Server, WAIT, ask, read_req, regs, wellhead};
use crate::util::Workdir;

/// WH-01 (unit 1): holding 0..18 and input 0..10 are mapped, one coil and
/// one discrete input.
#[test]
fn serve_exceptions_for_function_address_value_and_unit() {
    let wd = Workdir::new("serve-exc");
    let srv = Server::start(&wd, &["--preset", "wellhead"], &wellhead(&wd, 1));
    let mut s = srv.connect();
    // A good read first: 18 holding registers of unit 1.
    let (tid, unit, fc, body) = ask(&mut s, &read_req(7, 1, 3, 0, 18));
    assert_eq!((tid, unit, fc), (7, 1, 3));
    assert_eq!(body[0], 36);
    let cases: &[(&str, Vec<u8>, u8, u8)] = &[
        ("read past the map", read_req(1, 1, 3, 10, 9), 0x83, 2),
        ("start past the map", read_req(2, 1, 4, 500, 1), 0x84, 2),
        ("126 registers", read_req(3, 1, 3, 0, 126), 0x83, 3),
        ("0 registers", read_req(4, 1, 3, 0, 0), 0x83, 3),
        ("2001 coils", read_req(5, 1, 1, 0, 2001), 0x81, 3),
        ("coil past the map", read_req(6, 1, 1, 0, 2), 0x81, 2),
        ("unknown unit", read_req(8, 99, 3, 0, 1), 0x83, 0x0B),
        // Write single register while read-only.
        (
            "write when read-only",
            {
                let mut v = 9u16.to_be_bytes().to_vec();
                v.extend_from_slice(&[0, 0, 0, 6, 1, 6, 0, 8, 0, 1]);
                v
            },
            0x86,
            1,
        ),
        // A function code nobody implements (0x41).
        (
            "unknown function",
            vec![0, 10, 0, 0, 0, 3, 1, 0x41, 0],
            0xC1,
            1,
        ),
    ];
    for (what, req, want_fc, want_code) in cases {
        let (_, _, fc, body) = ask(&mut s, req);
        assert_eq!((fc, body[0]), (*want_fc, *want_code), "{what}");
    }
    // The connection still serves after all of those.
    let (_, _, fc, _) = ask(&mut s, &read_req(11, 12, 4, 0, 9));
    assert_eq!(fc, 4);
}

#[test]
fn serve_encodes_values_per_type_order_and_scale() {
    let wd = Workdir::new("serve-values");
    let input = concat!(
        r#"{"ts":0,"asset":"WH-01","tag":"tubing_pressure","value":1.0}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"flowline_pressure","value":1.0}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"annulus_pressure","value":12.3}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"wellhead_temp","value":-1.5}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"esp_current","value":1.0}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"vibration","value":1.0}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--preset", "wellhead"], input.as_bytes());
    let mut s = srv.connect();
    let (_, _, _, body) = ask(&mut s, &read_req(1, 1, 3, 0, 8));
    let r = regs(&body);
    assert_eq!(&r[0..2], &[0x3F80, 0x0000], "f32 ABCD");
    assert_eq!(r[4], 123, "u16 scale 0.1");
    assert_eq!(r[5] as i16, -150, "i16 scale 0.01");
    assert_eq!(&r[6..8], &[0x0000, 0x3F80], "f32 CDAB");
    let (_, _, _, body) = ask(&mut s, &read_req(2, 1, 4, 0, 8));
    let r = regs(&body);
    assert_eq!(&r[0..2], &[0x803F, 0x0000], "f32 BADC");
    assert_eq!(&r[6..8], &[0x0000, 0x803F], "f32 DCBA");
}

#[test]
fn serve_counts_unmapped_tags_and_rejects_values_that_do_not_fit() {
    let wd = Workdir::new("serve-unmapped");
    let input = concat!(
        r#"{"ts":0,"asset":"WH-01","tag":"nope","value":1}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-77","tag":"nope","value":1}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-01","tag":"annulus_pressure","value":-5}"#,
        "\n",
        "not json\n",
        r#"{"ts":0,"asset":"WH-01","tag":"annulus_pressure","value":5}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--preset", "wellhead"], input.as_bytes());
    let err = srv.log.join("\n");
    assert_eq!(
        err.matches("is not on the register map").count(),
        1,
        "{err}"
    );
    assert!(err.contains("WH-01/nope"), "{err}");
    assert!(err.contains("stdin:3"), "{err}");
    assert!(err.contains("outside the type's range"), "{err}");
    assert!(err.contains("stdin:4"), "{err}");
    assert!(
        err.contains("read 5, wrote 1, rejected 2, not on the map 2"),
        "{err}"
    );
}

#[test]
fn serve_writable_writes_become_readings() {
    let wd = Workdir::new("serve-writable");
    let mut srv = Server::start(
        &wd,
        &["--preset", "wellhead", "--writable"],
        &wellhead(&wd, 1),
    );
    let (tx, rx) = mpsc::channel();
    let out = srv.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let next = |what: &str| -> serde_json::Value {
        let line = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no reading for {what}"));
        serde_json::from_str(&line).expect("a JSON reading")
    };
    let mut s = srv.connect();
    // FC 6: choke_position (holding 8, u16, scale 0.1) of WH-02 (unit 2).
    let mut req = 1u16.to_be_bytes().to_vec();
    req.extend_from_slice(&[0, 0, 0, 6, 2, 6, 0, 8, 0x01, 0xF4]);
    let (_, _, fc, _) = ask(&mut s, &req);
    assert_eq!(fc, 6);
    let r = next("fc 6");
    assert_eq!(
        (r["asset"].as_str(), r["tag"].as_str()),
        (Some("WH-02"), Some("choke_position"))
    );
    assert_eq!(r["value"].as_f64(), Some(50.0));
    // FC 16: tubing_pressure (holding 0, f32 ABCD) = 1234.5.
    let mut req = 2u16.to_be_bytes().to_vec();
    let [a, b, c, d] = 1234.5f32.to_be_bytes();
    req.extend_from_slice(&[0, 0, 0, 11, 1, 16, 0, 0, 0, 2, 4, a, b, c, d]);
    let (_, _, fc, _) = ask(&mut s, &req);
    assert_eq!(fc, 16);
    let r = next("fc 16");
    assert_eq!(r["tag"].as_str(), Some("tubing_pressure"));
    assert_eq!(r["value"].as_f64(), Some(1234.5));
    // FC 5: esp_running coil off.
    let mut req = 3u16.to_be_bytes().to_vec();
    req.extend_from_slice(&[0, 0, 0, 6, 1, 5, 0, 0, 0, 0]);
    let (_, _, fc, _) = ask(&mut s, &req);
    assert_eq!(fc, 5);
    let r = next("fc 5");
    assert_eq!(
        (r["tag"].as_str(), r["value"].as_f64()),
        (Some("esp_running"), Some(0.0))
    );
    // FC 15: two coils from 0 where only one is mapped: illegal address.
    let mut req = 4u16.to_be_bytes().to_vec();
    req.extend_from_slice(&[0, 0, 0, 8, 1, 15, 0, 0, 0, 2, 1, 3]);
    let (_, _, fc, body) = ask(&mut s, &req);
    assert_eq!((fc, body[0]), (0x8F, 2));
    // The written value reads back.
    let (_, _, _, body) = ask(&mut s, &read_req(5, 1, 3, 0, 2));
    assert_eq!(
        regs(&body),
        vec![u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]
    );
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn serve_f32_beyond_its_range_rejected_with_line_and_reason() {
    let wd = Workdir::new("serve-f32-overflow");
    wd.write("m.csv", super::MAP_MODEL);
    let input = concat!(
        r#"{"ts":0,"asset":"M","tag":"h101","value":1.5}"#,
        "\n",
        r#"{"ts":0,"asset":"M","tag":"h101","value":1e39}"#,
        "\n",
        r#"{"ts":0,"asset":"M","tag":"h101","value":-3.5e38}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--model", "m.csv"], input.as_bytes());
    let err = srv.log.join("\n");
    assert!(err.contains("stdin:2"), "{err}");
    assert!(err.contains("stdin:3"), "{err}");
    assert!(
        err.contains("raw value 1e39 is outside the type's range -3.4028234663852886e38 to 3.4028234663852886e38"),
        "{err}"
    );
    assert!(err.contains("read 3, wrote 1, rejected 2"), "{err}");
    // The register keeps the last value that fitted, not +inf.
    let mut s = srv.connect();
    let (_, _, fc, body) = ask(&mut s, &read_req(1, 1, 3, 101, 2));
    assert_eq!((fc, regs(&body)), (3, vec![0x3FC0, 0x0000]));
}

#[test]
fn serve_messages_escape_names_from_input() {
    let wd = Workdir::new("serve-escape");
    // An asset whose name clears the terminal and a tag with a newline.
    let input = concat!(
        r#"{"ts":0,"asset":"X\u001b[2J","tag":"a\nb","value":1}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--preset", "wellhead"], input.as_bytes());
    let err = srv.log.join("\n");
    assert!(
        err.contains(r"X\u{1b}[2J/a\u{a}b is not on the register map"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
    // The host column and --host, in the message that names the hosts.
    wd.write(
        "m.csv",
        "asset,tag,host,unit_id,address,type\nA,t,h\u{1b}[2J:502,1,0,u16\nB,t,10.0.0.1:502,1,0,u16\n",
    );
    let mut cmd = wd.cmd("modbus-serve");
    cmd.args(["--model", "m.csv", "--listen", "127.0.0.1:0", "--for", "1s"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(err.contains(r"h\u{1b}[2J:502"), "{err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}

#[test]
fn serve_allow_refuses_a_prefix_wider_than_written_and_says_who_is_admitted() {
    let wd = Workdir::new("serve-allow");
    let mut cmd = wd.cmd("modbus-serve");
    cmd.args([
        "--allow",
        "192.0.2.2/0",
        "--listen",
        "127.0.0.1:0",
        "--for",
        "1s",
    ]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(
        err.contains("admits 0.0.0.0/0 (every IPv4 client); write 0.0.0.0/0 if that is meant"),
        "{err}"
    );
    let srv = Server::start(
        &wd,
        &["--allow", "10.0.0.0/8", "--allow", "::/0"],
        &wellhead(&wd, 1),
    );
    let err = srv.log.join("\n");
    assert!(
        err.contains("admitting loopback and 10.0.0.0/8, ::/0"),
        "{err}"
    );
    let srv = Server::start(&wd, &[], &wellhead(&wd, 1));
    assert!(
        srv.log[0].ends_with("admitting loopback only"),
        "{:?}",
        srv.log
    );
}

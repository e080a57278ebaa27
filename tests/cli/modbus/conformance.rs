//! modbus-serve against the Modbus Application Protocol Specification
//! V1.1b3 and the Modbus Messaging on TCP/IP Implementation Guide V1.0b:
//! raw request frames and the exact response frames expected, one row per
//! rule, for function codes 1–6, 15, 16, 22, 23 and codes the server does
//! not implement, all on one connection (an exception never closes it).
//!
//! A row gives the unit id, the request PDU and the response PDU in hex;
//! the test wraps the request in its MBAP header (transaction id = the
//! row's number) and compares the whole response frame, header included,
//! byte for byte. The server serves [`MAP_MODEL`] with [`MAP_INPUT`].

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{MAP_INPUT, MAP_MODEL, Server, hex};
use crate::util::Workdir;

/// (rule, unit, request PDU, expected response PDU).
type Row = (&'static str, u8, String, String);

fn row(rule: &'static str, unit: u8, req: &str, resp: &str) -> Row {
    (rule, unit, req.to_string(), resp.to_string())
}

/// A whole frame: MBAP header (transaction id, protocol 0, length, unit)
/// then the PDU.
fn frame(tid: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut v = tid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    v.push(unit);
    v.extend_from_slice(pdu);
    v
}

/// Sends every row on one connection and checks each answer exactly.
fn check(srv: &Server, rows: &[Row]) {
    let mut s = srv.connect();
    for (k, (rule, unit, req, resp)) in rows.iter().enumerate() {
        let tid = 0x0100 + k as u16;
        let want = frame(tid, *unit, &hex(resp));
        s.write_all(&frame(tid, *unit, &hex(req)))
            .unwrap_or_else(|e| panic!("row {k} ({rule}): sending: {e}"));
        let mut got = vec![0u8; 7];
        s.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("row {k} ({rule}): no answer: {e}"));
        let len = usize::from(u16::from_be_bytes([got[4], got[5]]));
        got.resize(6 + len, 0);
        s.read_exact(&mut got[7..])
            .unwrap_or_else(|e| panic!("row {k} ({rule}): a short answer: {e}"));
        assert_eq!(
            got,
            want,
            "row {k} ({rule}): request {req}\n got  {}\n want {}",
            show(&got),
            show(&want)
        );
    }
}

fn show(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn conformance_every_function_code_and_exception_on_one_connection() {
    let wd = Workdir::new("conformance");
    wd.write("m.csv", MAP_MODEL);
    let srv = Server::start(
        &wd,
        &["--model", "m.csv", "--writable"],
        MAP_INPUT.as_bytes(),
    );
    // 1969 coils with the byte count that would match them (247 bytes:
    // the longest PDU, 253 bytes).
    let coils_1969 = format!("0F 012C 07B1 F7 {}", "00 ".repeat(247));
    let rows = vec![
        // FC 03: the span 100..=105 with its hole at 103–104 read as 0.
        row(
            "03 the span, hole as 0",
            1,
            "03 0064 0006",
            "03 0C 1234 3FC0 0000 0000 0000 0007",
        ),
        row("03 below the span: 02", 1, "03 0063 0001", "83 02"),
        row("03 starting past the span: 02", 1, "03 006A 0001", "83 02"),
        row("03 running past the span: 02", 1, "03 0068 0003", "83 02"),
        row("03 126 registers: 03", 1, "03 0064 007E", "83 03"),
        row("03 0 registers: 03", 1, "03 0064 0000", "83 03"),
        row("03 quantity before address: 03", 1, "03 FFFF 007E", "83 03"),
        row(
            "03 125 registers pass the quantity check: 02",
            1,
            "03 0000 007D",
            "83 02",
        ),
        row("03 a PDU too short: 03", 1, "03 0064", "83 03"),
        row("03 a PDU too long: 03", 1, "03 0064 0001 00", "83 03"),
        // FC 04.
        row("04 the span", 1, "04 00C8 0002", "04 04 0201 FFFE"),
        row("04 past the span: 02", 1, "04 00CA 0001", "84 02"),
        row("04 0 registers: 03", 1, "04 00C8 0000", "84 03"),
        // FC 01: coils 1 0 (hole) 1.
        row("01 the span", 1, "01 012C 0004", "01 01 09"),
        row("01 running past the span: 02", 1, "01 012C 0005", "81 02"),
        row("01 2001 coils: 03", 1, "01 012C 07D1", "81 03"),
        row(
            "01 2000 coils pass the quantity check: 02",
            1,
            "01 012C 07D0",
            "81 02",
        ),
        // FC 02.
        row("02 the span", 1, "02 0190 0002", "02 01 02"),
        row("02 below the span: 02", 1, "02 018F 0001", "82 02"),
        row("02 0 inputs: 03", 1, "02 0190 0000", "82 03"),
        // A table with nothing mapped, a unit id not in the model.
        row(
            "01 a table with nothing mapped: 02",
            2,
            "01 0000 0001",
            "81 02",
        ),
        row("03 the other unit", 2, "03 000A 0001", "03 02 0009"),
        row(
            "03 a unit id not in the model: 0B",
            9,
            "03 0064 0001",
            "83 0B",
        ),
        // FC 05.
        row("05 ON", 1, "05 012D FF00", "05 012D FF00"),
        row(
            "05 a value other than FF00/0000: 03",
            1,
            "05 012D 1234",
            "85 03",
        ),
        row("05 past the span: 02", 1, "05 0130 FF00", "85 02"),
        row(
            "05 into a hole: answered, nothing kept",
            1,
            "05 012E FF00",
            "05 012E FF00",
        ),
        row(
            "01 after 05: the hole still reads 0",
            1,
            "01 012C 0004",
            "01 01 0B",
        ),
        // FC 06.
        row("06", 1, "06 0069 002A", "06 0069 002A"),
        row("06 past the span: 02", 1, "06 006A 0001", "86 02"),
        row(
            "06 into a hole: answered, nothing kept",
            1,
            "06 0067 0005",
            "06 0067 0005",
        ),
        row("03 after 06", 1, "03 0067 0003", "03 06 0000 0000 002A"),
        // FC 15: 0 1 (hole) 0.
        row("0F", 1, "0F 012C 0004 01 06", "0F 012C 0004"),
        row("01 after 0F", 1, "01 012C 0004", "01 01 02"),
        row(
            "0F a byte count that does not match: 03",
            1,
            "0F 012C 0004 02 06 00",
            "8F 03",
        ),
        row("0F 0 coils: 03", 1, "0F 012C 0000 00", "8F 03"),
        ("0F 1969 coils: 03", 1, coils_1969, "8F 03".to_string()),
        row(
            "0F running past the span: 02",
            1,
            "0F 012D 0004 01 0F",
            "8F 02",
        ),
        // FC 16: h101 = 3.1415927f32.
        row("10", 1, "10 0065 0002 04 4049 0FDB", "10 0065 0002"),
        row(
            "10 a byte count that does not match: 03",
            1,
            "10 0064 0002 03 0001 00",
            "90 03",
        ),
        row(
            "10 124 registers: 03 before anything else",
            1,
            "10 0064 007C 00",
            "90 03",
        ),
        (
            "10 124 registers with their byte count (a PDU over 253 bytes): 03",
            1,
            format!("10 0064 007C F8 {}", "00 00 ".repeat(124)),
            "90 03".to_string(),
        ),
        row(
            "10 running past the span: 02",
            1,
            "10 0068 0003 06 0001 0002 0003",
            "90 02",
        ),
        row(
            "10 below the span: 02",
            1,
            "10 0063 0002 04 0001 0002",
            "90 02",
        ),
        // FC 22: (0x1234 AND 0x00F2) OR (0x0025 AND NOT 0x00F2) = 0x0035.
        row("16", 1, "16 0064 00F2 0025", "16 0064 00F2 0025"),
        row("03 after 16", 1, "03 0064 0001", "03 02 0035"),
        row("16 past the span: 02", 1, "16 006A FFFF 0000", "96 02"),
        row("16 a PDU too short: 03", 1, "16 0064 FFFF", "96 03"),
        // FC 23: the write comes before the read.
        row(
            "17",
            1,
            "17 0064 0003 0069 0001 02 0063",
            "17 06 0035 4049 0FDB",
        ),
        row(
            "17 reads what it wrote",
            1,
            "17 0069 0001 0069 0001 02 0064",
            "17 02 0064",
        ),
        row(
            "17 126 to read: 03",
            1,
            "17 0064 007E 0069 0001 02 0000",
            "97 03",
        ),
        row(
            "17 122 to write: 03",
            1,
            "17 0064 0001 0064 007A 00",
            "97 03",
        ),
        row(
            "17 a byte count that does not match: 03",
            1,
            "17 0064 0001 0069 0001 04 0000",
            "97 03",
        ),
        row(
            "17 read past the span: 02, nothing written",
            1,
            "17 006A 0001 0069 0001 02 0000",
            "97 02",
        ),
        row("03 after the refused 17", 1, "03 0069 0001", "03 02 0064"),
        row(
            "17 write past the span: 02",
            1,
            "17 0064 0001 006A 0001 02 0000",
            "97 02",
        ),
        // Function codes the server does not implement: 01.
        row("07", 1, "07", "87 01"),
        row("08", 1, "08 0000 A537", "88 01"),
        row("11", 1, "11", "91 01"),
        row("14", 1, "14 07 06 0004 0001 0002", "94 01"),
        row("18", 1, "18 0064", "98 01"),
        row("2B", 1, "2B 0E 01 00", "AB 01"),
        row("41", 1, "41 00", "C1 01"),
        row("00", 1, "00", "80 01"),
        row(
            "83, an exception code as a request",
            1,
            "83 0064 0001",
            "83 01",
        ),
        row("FF", 1, "FF", "FF 01"),
        // Still serving on the same connection.
        row(
            "03 after everything",
            1,
            "03 0064 0003",
            "03 06 0035 4049 0FDB",
        ),
    ];
    check(&srv, &rows);
}

#[test]
fn conformance_writes_are_illegal_functions_without_writable() {
    let wd = Workdir::new("conformance-ro");
    wd.write("m.csv", MAP_MODEL);
    let srv = Server::start(&wd, &["--model", "m.csv"], MAP_INPUT.as_bytes());
    let rows = vec![
        row("05", 1, "05 012C FF00", "85 01"),
        row("06", 1, "06 0064 0001", "86 01"),
        row(
            "06 malformed: the function is checked first",
            1,
            "06 0064",
            "86 01",
        ),
        row("0F", 1, "0F 012C 0001 01 01", "8F 01"),
        row("10", 1, "10 0064 0001 02 0001", "90 01"),
        row("16", 1, "16 0064 FFFF 0000", "96 01"),
        row("17", 1, "17 0064 0001 0064 0001 02 0000", "97 01"),
        row("03 nothing was written", 1, "03 0064 0001", "03 02 1234"),
    ];
    check(&srv, &rows);
}

#[test]
fn conformance_strict_map_refuses_holes() {
    let wd = Workdir::new("conformance-strict");
    wd.write("m.csv", MAP_MODEL);
    let srv = Server::start(
        &wd,
        &["--model", "m.csv", "--strict-map", "--writable"],
        MAP_INPUT.as_bytes(),
    );
    let rows = vec![
        row(
            "03 mapped registers",
            1,
            "03 0064 0003",
            "03 06 1234 3FC0 0000",
        ),
        row("03 across the hole: 02", 1, "03 0064 0006", "83 02"),
        row("03 in the hole: 02", 1, "03 0067 0001", "83 02"),
        row("03 after the hole", 1, "03 0069 0001", "03 02 0007"),
        row("01 mapped coils", 1, "01 012C 0002", "01 01 01"),
        row("01 across the hole: 02", 1, "01 012C 0004", "81 02"),
        row("06 into the hole: 02", 1, "06 0067 0001", "86 02"),
        row("05 into the hole: 02", 1, "05 012E FF00", "85 02"),
    ];
    check(&srv, &rows);
}

/// Reads until the server closes the connection, or `within` passes.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return t.elapsed() < within,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
}

#[test]
fn conformance_bytes_that_cannot_be_framed_close_at_once_and_pipelined_requests_are_answered_in_order()
 {
    let wd = Workdir::new("conformance-framing");
    wd.write("m.csv", MAP_MODEL);
    let srv = Server::start(&wd, &["--model", "m.csv"], MAP_INPUT.as_bytes());
    // Three requests in one write: three answers, in order.
    let mut s = srv.connect();
    let mut burst = frame(1, 1, &hex("03 0064 0001"));
    burst.extend(frame(2, 1, &hex("41")));
    burst.extend(frame(3, 1, &hex("04 00C8 0001")));
    s.write_all(&burst).unwrap();
    let mut want = frame(1, 1, &hex("03 02 1234"));
    want.extend(frame(2, 1, &hex("C1 01")));
    want.extend(frame(3, 1, &hex("04 02 0201")));
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).expect("three answers");
    assert_eq!(show(&got), show(&want));
    // No frame boundary can be trusted after these: the connection closes
    // at once (the idle timeout is 60 s).
    for (what, bytes) in [
        ("protocol id 1", hex("0001 0001 0006 01 03 0064 0001")),
        ("length 1", hex("0001 0000 0001 01")),
        ("length 267", hex("0001 0000 010B 01 03")),
        ("length 65535", hex("0001 0000 FFFF 01 03")),
        ("length 0", hex("0001 0000 0000")),
    ] {
        let mut s = srv.connect();
        s.write_all(&bytes).unwrap();
        assert!(
            closed_within(&mut s, Duration::from_secs(5)),
            "{what}: not closed"
        );
    }
}

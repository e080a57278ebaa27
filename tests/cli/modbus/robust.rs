//! Nothing a client sends stops modbus-serve from serving everyone else:
//! malformed, truncated and lying frames, unknown functions, many clients,
//! silent clients, clients that vanish mid-request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{Server, ask, read_req, wellhead};
use crate::util::Workdir;

/// After a bad client: the server is alive and a fresh client is answered.
fn still_serving(srv: &mut Server, what: &str) {
    assert!(srv.alive(), "modbus-serve died after {what}");
    let mut s = srv.connect();
    let (_, _, fc, body) = ask(&mut s, &read_req(1, 1, 3, 0, 2));
    assert_eq!((fc, body[0]), (3, 4), "after {what}");
}

/// The server answers or closes: a read returns an answer, EOF or an
/// error, never hangs past the socket timeout.
fn answer_or_close(s: &mut TcpStream) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 300];
    match s.read(&mut buf) {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(buf[..n].to_vec()),
    }
}

#[test]
fn robust_bad_frames_are_answered_or_closed() {
    let wd = Workdir::new("robust-frames");
    let mut srv = Server::start(
        &wd,
        &["--preset", "wellhead", "--idle-timeout", "2s"],
        &wellhead(&wd, 1),
    );
    let frames: &[(&str, Vec<u8>)] = &[
        (
            "wrong protocol id",
            vec![0, 1, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1],
        ),
        ("length 0", vec![0, 1, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1]),
        (
            "length too short for the function",
            vec![0, 1, 0, 0, 0, 3, 1, 3, 0],
        ),
        ("exception function code", vec![0, 1, 0, 0, 0, 2, 1, 0x83]),
        ("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        (
            "write multiple with a lying byte count",
            vec![0, 1, 0, 0, 0, 9, 1, 16, 0, 0, 0, 2, 200, 0, 0],
        ),
    ];
    for (what, frame) in frames {
        let mut s = srv.connect();
        s.write_all(frame).unwrap();
        // Either an exception answer or a closed connection; both are fine.
        let _ = answer_or_close(&mut s);
        still_serving(&mut srv, what);
    }
    // A length field that promises more than ever comes: the idle timeout
    // closes it.
    let mut s = srv.connect();
    s.write_all(&[0, 1, 0, 0, 0xFF, 0xFF, 1, 3, 0, 0]).unwrap();
    let t = Instant::now();
    assert_eq!(answer_or_close(&mut s), None);
    assert!(t.elapsed() < Duration::from_secs(3));
    still_serving(&mut srv, "a lying length");
    // Truncated frame, then the client vanishes mid-request.
    {
        let mut s = srv.connect();
        s.write_all(&read_req(1, 1, 3, 0, 2)[..5]).unwrap();
    }
    still_serving(&mut srv, "a client that vanished mid-request");
    // Unknown function codes, every one of them.
    let mut s = srv.connect();
    for fc in [0x07u8, 0x08, 0x11, 0x14, 0x2B, 0x41, 0x64, 0x7F] {
        s.write_all(&[0, fc, 0, 0, 0, 2, 1, fc]).unwrap();
        match answer_or_close(&mut s) {
            Some(a) => assert_eq!(a[7], fc | 0x80, "function {fc:#x}: {a:?}"),
            None => s = srv.connect(),
        }
    }
    still_serving(&mut srv, "unknown function codes");
}

#[test]
fn robust_200_clients_at_once_and_silent_ones() {
    let wd = Workdir::new("robust-clients");
    let mut srv = Server::start(
        &wd,
        &[
            "--preset",
            "wellhead",
            "--idle-timeout",
            "2s",
            "--max-clients",
            "300",
        ],
        &wellhead(&wd, 1),
    );
    // Clients that connect and say nothing are closed by the idle timeout.
    let silent: Vec<TcpStream> = (0..20).map(|_| srv.connect()).collect();
    // Each asks at once: a connection that stays silent past the idle
    // timeout is rightly closed, however slow the machine.
    let mut clients: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut c = srv.connect();
            c.write_all(&read_req(i as u16, (i % 12) as u8 + 1, 3, 0, 18))
                .unwrap();
            c
        })
        .collect();
    for (i, c) in clients.iter_mut().enumerate() {
        let (tid, unit, fc, body) = super::read_resp(c).expect("an answer");
        assert_eq!(
            (tid, unit, fc, body[0]),
            (i as u16, (i % 12) as u8 + 1, 3, 36)
        );
    }
    drop(clients);
    for mut s in silent {
        assert_eq!(
            answer_or_close(&mut s),
            None,
            "a silent client was not closed"
        );
    }
    still_serving(&mut srv, "200 clients and 20 silent ones");
}

#[test]
fn robust_connection_limit() {
    let wd = Workdir::new("robust-limit");
    let mut srv = Server::start(
        &wd,
        &["--preset", "wellhead", "--max-clients", "2"],
        &wellhead(&wd, 1),
    );
    let mut a = srv.connect();
    let mut b = srv.connect();
    ask(&mut a, &read_req(1, 1, 3, 0, 1));
    ask(&mut b, &read_req(1, 1, 3, 0, 1));
    let mut c = srv.connect();
    let _ = c.write_all(&read_req(1, 1, 3, 0, 1));
    assert_eq!(answer_or_close(&mut c), None, "a third client was served");
    drop(a);
    // The freed place goes to the next client.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut d = srv.connect();
        let _ = d.write_all(&read_req(2, 1, 3, 0, 1));
        if answer_or_close(&mut d).is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never given out"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(srv.alive());
}

#[test]
fn robust_client_that_never_reads_gives_its_place_back() {
    let wd = Workdir::new("robust-noread");
    let mut srv = Server::start(
        &wd,
        &[
            "--preset",
            "wellhead",
            "--idle-timeout",
            "1s",
            "--max-clients",
            "1",
        ],
        &wellhead(&wd, 1),
    );
    let mut a = srv.connect();
    a.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    // Far more answers than the socket buffers hold, none of them read.
    let burst: Vec<u8> = (0..20_000u16)
        .flat_map(|i| read_req(i, 1, 3, 0, 18))
        .collect();
    for _ in 0..50 {
        if a.write_all(&burst).is_err() {
            break;
        }
    }
    // The only place is taken until the stalled connection times out.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut b = srv.connect();
        let _ = b.write_all(&read_req(1, 1, 3, 0, 1));
        if answer_or_close(&mut b).is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a client that never reads kept its place"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(srv.alive());
    drop(a);
}

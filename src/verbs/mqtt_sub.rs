//! `iiot mqtt-sub`: readings from an MQTT broker to NDJSON.

use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use rumqttc::{Client, Event, Packet, Publish, QoS};

use super::Global;
use super::args::{OutputArgs, RejectArgs};
use super::mqtt_pub::options;
use crate::io::stdout_sink;
use crate::mqtt::{Template, reading_from_message};
use crate::record::{Reading, RecordParser, RecordWriter};

/// Subscribe to an MQTT broker and write what arrives as readings.
///
/// Subscribes to the --topic filters (wildcards `+` and `#` allowed; by
/// default the one --template makes, `plant/+/+`) and writes each message
/// as a record on stdout: a payload that is a record (`{…}`) as it is, a
/// bare value (`1523.42`) as a reading whose asset and tag come from the
/// topic by --template (escapes %2F, %2B, %23, %25 undone) and whose time
/// is when it arrived. A payload that is neither, or a bare value on a
/// topic the template does not match, is rejected with the topic named.
///
/// QoS 1 (the default) with a persistent session (a fixed --client-id,
/// clean session off): the broker keeps what comes while mqtt-sub is
/// stopped and sends it on the next start, and a message is acknowledged
/// only once its record is written and flushed to stdout, so a crash
/// loses nothing: what was not acknowledged comes again (a store
/// downstream drops the duplicates). --clean starts afresh each time.
/// Runs until interrupted, --count messages, or --idle without one. At
/// the end: `received N, wrote M, rejected K` on stderr.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot mqtt-sub --broker 127.0.0.1:1883 --topic 'plant/WH-01/#' --clean --idle 1s | iiot cat --format csv
  iiot mqtt-sub --broker 127.0.0.1:1883 --client-id historian | iiot store plant.db   # runs until stopped
  iiot mqtt-sub --client-id alarms | iiot detect --preset wellhead --events | iiot store plant.db   # runs until stopped")]
pub struct Args {
    /// The broker, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1883")]
    pub broker: String,
    /// A topic filter to subscribe to (repeatable; default: the template's, plant/+/+).
    #[arg(long = "topic", value_name = "FILTER")]
    pub topics: Vec<String>,
    /// How a bare value's topic names its asset and tag.
    #[arg(long, value_name = "TEMPLATE", default_value = "plant/{asset}/{tag}")]
    pub template: String,
    /// 0: at most once; 1: at least once, with a persistent session.
    #[arg(long, value_name = "0|1", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub qos: u8,
    /// The MQTT client id: the name of the persistent session.
    #[arg(long, value_name = "ID", default_value = "iiot-sub")]
    pub client_id: String,
    /// A clean session: nothing kept while mqtt-sub is stopped.
    #[arg(long)]
    pub clean: bool,
    /// The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD).
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Stop after this many messages.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this long without a message.
    #[arg(long, value_name = "DURATION", value_parser = crate::options::positive_duration)]
    pub idle: Option<Duration>,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Acknowledge at the latest after this many messages (the broker sends
/// only so many unacknowledged ones: mosquitto's default is 20).
const ACK_EVERY: usize = 16;

pub fn run(args: Args, global: &Global) -> Result<()> {
    let template = Template::parse(&args.template)?;
    let filters = if args.topics.is_empty() {
        vec![template.filter()]
    } else {
        args.topics.clone()
    };
    let qos = if args.qos == 1 {
        QoS::AtLeastOnce
    } else {
        QoS::AtMostOnce
    };
    let mut opts = options(
        &args.broker,
        args.client_id.clone(),
        args.username.as_deref(),
    )?;
    opts.set_clean_session(args.clean || args.qos == 0);
    opts.set_manual_acks(true);
    let (client, mut connection) = Client::new(opts, 4096);
    // The connection is driven by a thread of its own with rumqttc's
    // blocking `recv`: its `try_recv` and `recv_timeout` drop the poll
    // when they give up, and a connection polled that way stopped reading
    // after a few hundred thousand messages (the broker then closed it and
    // nothing reconnected). The thread stops when this side hangs up.
    let (events_in, events) = std::sync::mpsc::sync_channel(1024);
    let driver = std::thread::spawn(move || {
        while let Ok(event) = connection.recv() {
            let failed = event.is_err();
            let stop = matches!(event, Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)));
            if events_in.send(event).is_err() || stop {
                break;
            }
            if failed {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    });
    let mut rejects = args.reject.open("mqtt-sub")?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut parser = RecordParser::new();
    let mut reading = Reading::default();
    let (mut received, mut wrote) = (0u64, 0u64);
    let mut pending: Vec<Publish> = Vec::new();
    let mut down = false;
    let mut last_message = Instant::now();
    let name = args.broker.clone();
    // Flushes stdout, then acknowledges what it holds.
    let settle = |out: &mut RecordWriter<_>, pending: &mut Vec<Publish>| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        out.flush()?;
        for p in pending.drain(..) {
            client
                .try_ack(&p)
                .map_err(|e| anyhow!("acknowledging to {name}: {e}"))?;
        }
        Ok(())
    };
    let result = (|| -> Result<()> {
        loop {
            if args.count.is_some_and(|n| received >= n) {
                return Ok(());
            }
            if args.idle.is_some_and(|d| last_message.elapsed() >= d) {
                return Ok(());
            }
            let event = match events.try_recv() {
                Ok(e) => e,
                Err(TryRecvError::Empty) => {
                    // Nothing more at hand: settle before waiting.
                    settle(&mut out, &mut pending)?;
                    match events.recv_timeout(Duration::from_millis(100)) {
                        Ok(e) => e,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
                Err(TryRecvError::Disconnected) => return Ok(()),
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    if down && !global.quiet {
                        eprintln!("iiot mqtt-sub: {}: connected again", args.broker);
                    }
                    down = false;
                    // A session the broker kept has the subscriptions
                    // already; subscribing again is harmless.
                    let _ = ack;
                    for f in &filters {
                        client
                            .try_subscribe(f.as_str(), qos)
                            .map_err(|e| anyhow!("subscribing to {f}: {e}"))?;
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack
                        .return_codes
                        .iter()
                        .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
                    {
                        return Err(anyhow!(
                            "{}: the broker refused a subscription ({})",
                            args.broker,
                            filters.join(", ")
                        ));
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    received += 1;
                    last_message = Instant::now();
                    let parsed = reading_from_message(
                        &mut parser,
                        &template,
                        &p.topic,
                        &p.payload,
                        crate::time::now_ms(),
                        &mut reading,
                    );
                    match parsed {
                        Ok(()) => {
                            out.write(&reading.as_ref())?;
                            wrote += 1;
                        }
                        Err(e) => rejects.reject(
                            &format!("topic {}", p.topic),
                            received,
                            &e,
                            &p.payload,
                        )?,
                    }
                    pending.push(p);
                    if pending.len() >= ACK_EVERY {
                        settle(&mut out, &mut pending)?;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if !down && !global.quiet {
                        eprintln!("iiot mqtt-sub: {}: {e}; retrying", args.broker);
                    }
                    down = true;
                    settle(&mut out, &mut pending).ok();
                }
            }
        }
    })();
    let settled = settle(&mut out, &mut pending);
    // Let the acknowledgements out before disconnecting.
    let _ = client.disconnect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match events.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect))) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(_)) => {}
        }
    }
    // The driver ends at the disconnect, or at its next event once the
    // channel is gone; it is not waited for past the deadline.
    drop(events);
    if driver.is_finished() {
        let _ = driver.join();
    }
    let flushed = out.flush();
    rejects.finish()?;
    if !global.quiet {
        eprintln!(
            "iiot mqtt-sub: received {received}, wrote {wrote}, rejected {}",
            rejects.count()
        );
    }
    result?;
    settled?;
    flushed?;
    Ok(())
}

//! `iiot mqtt-pub`: readings to an MQTT broker, one topic per asset and
//! tag.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};

use super::Global;
use super::args::{InputArgs, RejectArgs};
use crate::io::{Next, ReadOptions, Records, Wait};
use crate::mqtt::{Template, broker};
use crate::record::Format;

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Payload {
    /// The whole record, as one NDJSON line without its newline.
    Record,
    /// The value alone (`1523.42`): what dashboards and most plant
    /// gateways publish; the time is the receiver's.
    Value,
}

/// Publish readings to an MQTT broker, one topic per asset and tag.
///
/// Each record read (NDJSON, from the files named or stdin) is published
/// on the topic --topic makes of its asset and tag (`plant/WH-01/tubing_pressure`
/// by default; `/`, `+`, `#` and `%` inside an asset or tag are escaped as
/// %2F, %2B, %23, %25), its payload the record itself or only its value.
/// QoS 1 (the default) waits at the end until the broker has acknowledged
/// every message, so the exit status says they all arrived; QoS 0 sends
/// and forgets. With --retain the broker keeps each topic's last message
/// for later subscribers (the last value of every tag). A lost connection
/// is said once and retried; unacknowledged QoS 1 messages are sent again.
/// At the end: `read N, published M, rejected K` on stderr.
///
/// The broker is 127.0.0.1:1883 unless --broker says; the password, for
/// a broker that asks for one, is read from IIOT_MQTT_PASSWORD, never
/// from the command line. No TLS: a broker on this host or a trusted
/// network.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset fermenter --count 30 | iiot mqtt-pub --broker 127.0.0.1:1883 --payload value --retain
  iiot simulate --preset wellhead --count 2 | iiot mqtt-pub --broker 127.0.0.1:1883 --topic 'site1/{asset}/{tag}' --qos 0
  iiot simulate --preset wellhead --realtime | iiot mqtt-pub --broker 127.0.0.1:1883   # runs until stopped")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The broker, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1883")]
    pub broker: String,
    /// The topic template: {asset} and {tag} each a whole level.
    #[arg(long, value_name = "TEMPLATE", default_value = "plant/{asset}/{tag}")]
    pub topic: String,
    /// What a message carries.
    #[arg(long, value_enum, default_value_t = Payload::Record)]
    pub payload: Payload,
    /// 0: at most once; 1: at least once, acknowledged by the broker.
    #[arg(long, value_name = "0|1", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub qos: u8,
    /// Ask the broker to keep each topic's last message for new subscribers.
    #[arg(long)]
    pub retain: bool,
    /// The MQTT client id (default: iiot-pub- and the process id).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The user name for a broker that asks for one (password: IIOT_MQTT_PASSWORD).
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// QoS 1: how many messages may await the broker's acknowledgement.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..))]
    pub inflight: u16,
    /// At the end, how long to wait without progress for the broker's
    /// acknowledgements before exiting 1.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::options::positive_duration)]
    pub ack_timeout: Duration,
    #[command(flatten)]
    pub reject: RejectArgs,
}

/// What the connection thread has seen.
#[derive(Default)]
struct Seen {
    sent: AtomicU64,
    acked: AtomicU64,
}

/// MQTT options shared by mqtt-pub and mqtt-sub.
pub(crate) fn options(
    broker_arg: &str,
    client_id: String,
    username: Option<&str>,
) -> Result<MqttOptions> {
    let (host, port) = broker(broker_arg)?;
    let mut opts = MqttOptions::new(client_id, host, port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    if let Some(user) = username {
        let password = std::env::var("IIOT_MQTT_PASSWORD").unwrap_or_default();
        opts.set_credentials(user, password);
    }
    Ok(opts)
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[("--rejects", args.reject.file())],
        false,
    )?;
    let template = Template::parse(&args.topic)?;
    let client_id = args
        .client_id
        .clone()
        .unwrap_or_else(|| format!("iiot-pub-{}", std::process::id()));
    let mut opts = options(&args.broker, client_id, args.username.as_deref())?;
    opts.set_inflight(args.inflight);
    let (client, mut connection) = Client::new(opts, 4096);
    let seen = Arc::new(Seen::default());
    let seen_in = Arc::clone(&seen);
    let quiet = global.quiet;
    let name = args.broker.clone();
    let driver = std::thread::spawn(move || {
        let mut down = false;
        for event in connection.iter() {
            match event {
                Ok(Event::Outgoing(Outgoing::Publish(_))) => {
                    seen_in.sent.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    seen_in.acked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if down && !quiet {
                        eprintln!("iiot mqtt-pub: {name}: connected again");
                    }
                    down = false;
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                Ok(_) => {}
                Err(e) => {
                    if !down && !quiet {
                        eprintln!("iiot mqtt-pub: {name}: {e}; retrying");
                    }
                    down = true;
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
    });
    let qos = if args.qos == 1 {
        QoS::AtLeastOnce
    } else {
        QoS::AtMostOnce
    };
    let mut rejects = args.reject.open("mqtt-pub")?;
    let mut records = Records::open(
        &args.input.inputs,
        ReadOptions {
            encode: (args.payload == Payload::Record).then_some(Format::Ndjson),
            progress: true,
        },
        global.quiet,
    );
    let mut topic = String::new();
    let mut published = 0u64;
    let mut value = Vec::with_capacity(32);
    let result = (|| -> Result<()> {
        while let Next::Record(rec) = records.next(&mut rejects, Wait::Forever)? {
            template.topic(&rec.reading.asset, &rec.reading.tag, &mut topic);
            let payload: Vec<u8> = match args.payload {
                Payload::Record => {
                    let line = rec.encoded;
                    line.strip_suffix(b"\n").unwrap_or(line).to_vec()
                }
                Payload::Value => {
                    value.clear();
                    crate::record::write_number(rec.reading.value, &mut value);
                    value.clone()
                }
            };
            client
                .publish(topic.as_str(), qos, args.retain, payload)
                .map_err(|e| anyhow::anyhow!("publishing to {}: {e}", args.broker))?;
            published += 1;
        }
        Ok(())
    })();
    let read = records.read();
    // Every message handed to the broker (QoS 0) or acknowledged (QoS 1).
    let done = |s: &Seen| {
        if qos == QoS::AtLeastOnce {
            s.acked.load(Ordering::Relaxed) >= published
        } else {
            s.sent.load(Ordering::Relaxed) >= published
        }
    };
    let mut waited = Ok(());
    if result.is_ok() {
        let mut last = (0, Instant::now());
        while !done(&seen) {
            let progress = seen.acked.load(Ordering::Relaxed) + seen.sent.load(Ordering::Relaxed);
            if progress != last.0 {
                last = (progress, Instant::now());
            } else if last.1.elapsed() >= args.ack_timeout {
                let acked = seen.acked.load(Ordering::Relaxed);
                waited = Err(anyhow::anyhow!(
                    "{}: {} of {published} messages not acknowledged after {:?} (--ack-timeout)",
                    args.broker,
                    published.saturating_sub(acked),
                    args.ack_timeout
                ));
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let _ = client.disconnect();
    if waited.is_ok() {
        let _ = driver.join();
    }
    rejects.finish()?;
    if !global.quiet {
        eprintln!(
            "iiot mqtt-pub: read {read}, published {published}, rejected {}",
            rejects.count()
        );
    }
    result?;
    waited?;
    if published > 0 && seen.sent.load(Ordering::Relaxed) == 0 {
        bail!("{}: nothing was sent", args.broker);
    }
    Ok(())
}

//! Network reader throughput: NetFlow/IPFIX records per second through
//! `NetflowFileSource` (decode + event building), and pcap bytes per second
//! through `PcapFlowSource` (decode + flow table + events). Inputs are written by
//! `sources::net::write`, so the benchmark needs no external files.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use model::Timestamp;
use sources::net::netflow::NetflowFileSource;
use sources::net::pcap::PcapFlowSource;
use sources::net::write::{FlowRecord, IpfixWriter, PcapWriter, TcpConversation};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;

const RECORDS_PER_MESSAGE: u64 = 30;

fn ipfix_export(records: u64) -> Vec<u8> {
    let mut writer = IpfixWriter::new(Vec::new(), 7);
    let mut flows = Vec::with_capacity(RECORDS_PER_MESSAGE as usize);
    for i in 0..records {
        let host = (i % 250) as u8 + 1;
        flows.push(FlowRecord {
            start: Timestamp::from_secs(1_700_000_000 + i as i64 / 100),
            end: Timestamp::from_secs(1_700_000_005 + i as i64 / 100),
            source: SocketAddr::from((
                [10, 0, (i / 250 % 250) as u8, host],
                40_000 + (i % 20_000) as u16,
            )),
            destination: SocketAddr::from(([198, 51, 100, host], 443)),
            protocol: 6,
            packets: 10 + i % 50,
            octets: 1_000 + i * 7 % 100_000,
            tcp_flags: 0x1b,
        });
        if flows.len() as u64 == RECORDS_PER_MESSAGE {
            writer
                .write_message(Timestamp::from_secs(1_700_000_100), &flows)
                .unwrap();
            flows.clear();
        }
    }
    if !flows.is_empty() {
        writer
            .write_message(Timestamp::from_secs(1_700_000_100), &flows)
            .unwrap();
    }
    writer.into_inner()
}

fn capture(connections: u32) -> Vec<u8> {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let payload = vec![0x5au8; 20_000];
    for i in 0..connections {
        let t = Timestamp::from_secs(1_700_000_000 + i as i64);
        let client = SocketAddr::from((
            [10, 1, (i / 200 % 250) as u8, (i % 200) as u8 + 1],
            40_000 + (i % 20_000) as u16,
        ));
        let server = SocketAddr::from(([203, 0, 113, (i % 250) as u8 + 1], 443));
        let mut conn = TcpConversation::open(&mut pcap, t, client, server).unwrap();
        conn.send(&mut pcap, t, true, &payload).unwrap();
        conn.send(&mut pcap, t, false, &payload[..2_000]).unwrap();
        conn.close(&mut pcap, t).unwrap();
    }
    pcap.into_inner()
}

fn input(bytes: &[u8]) -> Input {
    Input {
        path: Arc::from("bench"),
        reader: Box::new(Cursor::new(bytes.to_vec())),
    }
}

fn bench(c: &mut Criterion) {
    let ctx = SourceContext::default();
    let records = 300_000;
    let export = ipfix_export(records);
    let mut group = c.benchmark_group("netflow");
    group.throughput(Throughput::Elements(records));
    group.sample_size(10);
    group.bench_function("ipfix_file_records", |b| {
        b.iter(|| {
            let count = NetflowFileSource::open(input(&export), &ctx)
                .filter(|e| e.is_ok())
                .count();
            assert_eq!(count as u64, records);
        })
    });
    // Two exports read side by side, as the replay reads files in parallel.
    group.throughput(Throughput::Elements(2 * records));
    group.bench_function("ipfix_two_files_two_threads", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            NetflowFileSource::open(input(&export), &ctx)
                                .filter(|e| e.is_ok())
                                .count()
                        })
                    })
                    .collect();
                let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
                assert_eq!(total as u64, 2 * records);
            })
        })
    });
    group.finish();

    let pcap = capture(2_000);
    let mut group = c.benchmark_group("pcap");
    group.throughput(Throughput::Bytes(pcap.len() as u64));
    group.sample_size(10);
    group.bench_function("pcap_to_flows", |b| {
        b.iter(|| PcapFlowSource::open(input(&pcap), &ctx).unwrap().count())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! A DNS server on loopback for discovery tests: answers A, MX and SRV questions from a
//! zone the test writes (UDP and TCP), NXDOMAIN for names it does not know, after an
//! optional added latency. Built on hickory-proto's message codec.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, MX, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// The records the server answers with.
#[derive(Debug, Default)]
pub struct Zone {
    records: HashMap<String, Vec<RData>>,
    /// Added before every answer.
    pub latency: Duration,
    /// Questions asked, as "TYPE name".
    pub asked: Vec<String>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn name(text: &str) -> anyhow::Result<Name> {
    Ok(Name::from_ascii(format!(
        "{}.",
        text.trim_end_matches('.')
    ))?)
}

impl Zone {
    pub fn a(&mut self, host: &str, ip: Ipv4Addr) {
        self.records
            .entry(key(host))
            .or_default()
            .push(RData::A(A(ip)));
    }

    pub fn mx(&mut self, domain: &str, preference: u16, exchange: &str) -> anyhow::Result<()> {
        let exchange = name(exchange)?;
        self.records
            .entry(key(domain))
            .or_default()
            .push(RData::MX(MX::new(preference, exchange)));
        Ok(())
    }

    pub fn srv(
        &mut self,
        owner: &str,
        priority: u16,
        weight: u16,
        port: u16,
        target: &str,
    ) -> anyhow::Result<()> {
        let target = name(target)?;
        self.records
            .entry(key(owner))
            .or_default()
            .push(RData::SRV(SRV::new(priority, weight, port, target)));
        Ok(())
    }

    /// The answer to one question: records of that type, or NXDOMAIN for an unknown name.
    fn answer(&mut self, question: &[u8]) -> Option<Vec<u8>> {
        let request = Message::from_vec(question).ok()?;
        let mut response = Message::response(request.metadata.id, OpCode::Query);
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.metadata.authoritative = true;
        for query in &request.queries {
            response.add_query(query.clone());
            let owner = key(&query.name().to_ascii());
            self.asked.push(format!("{} {owner}", query.query_type()));
            match self.records.get(&owner) {
                None => response.metadata.response_code = ResponseCode::NXDomain,
                Some(records) => {
                    for data in records {
                        let wanted = query.query_type();
                        let matches = matches!(
                            (data, wanted),
                            (RData::A(_), RecordType::A)
                                | (RData::MX(_), RecordType::MX)
                                | (RData::SRV(_), RecordType::SRV)
                        );
                        if matches {
                            response.add_answer(Record::from_rdata(
                                query.name().clone(),
                                60,
                                data.clone(),
                            ));
                        }
                    }
                }
            }
        }
        response.to_vec().ok()
    }
}

/// A running DNS server.
pub struct DnsServer {
    pub addr: SocketAddr,
    pub zone: Arc<Mutex<Zone>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn answer(zone: &Mutex<Zone>, question: &[u8]) -> Option<Vec<u8>> {
    let latency = zone.lock().ok()?.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    zone.lock().ok()?.answer(question)
}

impl DnsServer {
    /// Serves `zone` on `ip` (UDP and TCP, one free port for both). Needs a Tokio runtime.
    pub async fn start(ip: Ipv4Addr) -> anyhow::Result<DnsServer> {
        let zone = Arc::new(Mutex::new(Zone::default()));
        // The same port free for UDP and TCP.
        let (udp, tcp) = loop {
            let udp = UdpSocket::bind((ip, 0)).await?;
            let port = udp.local_addr()?.port();
            if let Ok(tcp) = TcpListener::bind((ip, port)).await {
                break (udp, tcp);
            }
        };
        let addr = udp.local_addr()?;
        let udp = Arc::new(udp);
        let udp_zone = zone.clone();
        let udp_task = tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            loop {
                let Ok((length, from)) = udp.recv_from(&mut buffer).await else {
                    break;
                };
                let question = buffer[..length].to_vec();
                let (zone, socket) = (udp_zone.clone(), udp.clone());
                tokio::spawn(async move {
                    if let Some(reply) = answer(&zone, &question).await {
                        let _ = socket.send_to(&reply, from).await;
                    }
                });
            }
        });
        let tcp_zone = zone.clone();
        let tcp_task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = tcp.accept().await {
                let zone = tcp_zone.clone();
                tokio::spawn(async move {
                    loop {
                        let mut length = [0u8; 2];
                        if stream.read_exact(&mut length).await.is_err() {
                            break;
                        }
                        let mut question = vec![0u8; usize::from(u16::from_be_bytes(length))];
                        if stream.read_exact(&mut question).await.is_err() {
                            break;
                        }
                        let Some(reply) = answer(&zone, &question).await else {
                            break;
                        };
                        let Ok(size) = u16::try_from(reply.len()) else {
                            break;
                        };
                        if stream.write_all(&size.to_be_bytes()).await.is_err()
                            || stream.write_all(&reply).await.is_err()
                        {
                            break;
                        }
                    }
                });
            }
        });
        Ok(DnsServer {
            addr,
            zone,
            tasks: vec![udp_task, tcp_task],
        })
    }

    /// Changes the zone.
    pub fn edit(&self, change: impl FnOnce(&mut Zone) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let mut zone = self
            .zone
            .lock()
            .map_err(|_| anyhow::anyhow!("the zone lock is poisoned"))?;
        change(&mut zone)
    }
}

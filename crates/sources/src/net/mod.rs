//! Network telemetry readers: NetFlow v5/v9/IPFIX, pcap/pcapng, proxy, firewall,
//! DNS server and syslog files. They all produce the same network events as Zeek.

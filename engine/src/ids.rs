//! Names for the things in a world: ticks, servers, signals.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A moment of the global clock. Tick 0 is before the first tick runs; the first tick is 1.
pub type Tick = u64;

/// The value a client writes to (and reads from) the replicated register.
pub type Value = u64;

/// A node of the algorithm under test, numbered from 1 as in the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

/// A client, numbered from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub u32);

/// Which request of which client: the client and its request's sequence number (1, 2, ...).
///
/// Every client request carries one. A client sends one request at a time, so its sequence
/// numbers grow; copies of one request (the network may deliver a signal twice) carry the same
/// id. That is what lets a node answer a request exactly once (see [`Sessions`](crate::Sessions)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId {
    /// The client that sent it.
    pub client: ClientId,
    /// Its place among the client's requests, from 1.
    pub seq: u64,
}

impl fmt::Display for RequestId {
    /// `c2#7`: client 2's seventh request.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}#{}", self.client.0, self.seq)
    }
}

/// A signal (one message in flight), numbered from 1 in the order the signals were sent.
///
/// A request's signal id is also the id its reply refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SignalId(pub u64);

/// Any participant of a world: the gateway, a node or a client.
///
/// The order (gateway, then nodes, then clients) is the order servers are processed in a tick.
/// Written as `gateway`, `n3` and `c2` in configuration files and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerId {
    /// The proxy between clients and nodes.
    Gateway,
    /// A node of the algorithm.
    Node(NodeId),
    /// A client.
    Client(ClientId),
}

impl NodeId {
    /// The node's 0-based slot: node 1 is at index 0. `NodeId(0)` names no node; its index is
    /// `usize::MAX`, which no slice has, so `nodes.get(id.index())` is `None` for it.
    pub fn index(self) -> usize {
        (self.0 as usize).wrapping_sub(1)
    }

    /// The node at 0-based slot `index`.
    ///
    /// # Panics
    /// If `index + 1` does not fit a `u32` (the configuration allows far fewer nodes).
    pub fn from_index(index: usize) -> NodeId {
        NodeId(u32::try_from(index + 1).expect("node ids fit a u32"))
    }
}

impl ClientId {
    /// The client's 0-based slot: client 1 is at index 0 (`ClientId(0)`: `usize::MAX`, as for
    /// [`NodeId::index`]).
    pub fn index(self) -> usize {
        (self.0 as usize).wrapping_sub(1)
    }

    /// The client at 0-based slot `index`.
    ///
    /// # Panics
    /// If `index + 1` does not fit a `u32` (the configuration allows far fewer clients).
    pub fn from_index(index: usize) -> ClientId {
        ClientId(u32::try_from(index + 1).expect("client ids fit a u32"))
    }
}

impl From<NodeId> for ServerId {
    fn from(id: NodeId) -> Self {
        ServerId::Node(id)
    }
}

impl From<ClientId> for ServerId {
    fn from(id: ClientId) -> Self {
        ServerId::Client(id)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}", self.0)
    }
}

impl fmt::Display for SignalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signal {}", self.0)
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerId::Gateway => f.write_str("gateway"),
            ServerId::Node(n) => n.fmt(f),
            ServerId::Client(c) => c.fmt(f),
        }
    }
}

impl ServerId {
    /// The short form used in files and flags: `gateway`, `n3`, `c2`.
    pub fn short(&self) -> String {
        match self {
            ServerId::Gateway => "gateway".to_owned(),
            ServerId::Node(n) => format!("n{}", n.0),
            ServerId::Client(c) => format!("c{}", c.0),
        }
    }
}

/// Why a server name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a server: write `gateway`, a node as `n1` (nodes count from 1) or a client as `c1`")]
pub struct ParseServerIdError(pub String);

impl FromStr for ServerId {
    type Err = ParseServerIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if t == "gateway" || t == "g" {
            return Ok(ServerId::Gateway);
        }
        let err = || ParseServerIdError(s.to_owned());
        let (kind, digits) = if let Some(rest) = t.strip_prefix("node") {
            ('n', rest)
        } else if let Some(rest) = t.strip_prefix("client") {
            ('c', rest)
        } else if let Some(rest) = t.strip_prefix('n') {
            ('n', rest)
        } else if let Some(rest) = t.strip_prefix('c') {
            ('c', rest)
        } else {
            return Err(err());
        };
        let n: u32 = digits.trim().parse().map_err(|_| err())?;
        if n == 0 {
            return Err(err());
        }
        Ok(if kind == 'n' { ServerId::Node(NodeId(n)) } else { ServerId::Client(ClientId(n)) })
    }
}

/// A comma-separated list of servers: `n1,n2,gateway`.
pub fn format_servers(list: &[ServerId]) -> String {
    list.iter().map(ServerId::short).collect::<Vec<_>>().join(",")
}

/// The two sides of a link as written in flags and schedules: `n1,n2|n3` (both ways) or
/// `n1>n2` (one way).
pub fn format_sides(from: &[ServerId], to: &[ServerId], one_way: bool) -> String {
    format!("{}{}{}", format_servers(from), if one_way { ">" } else { "|" }, format_servers(to))
}

/// Reads [`format_sides`]'s form back: (from, to, one_way), or what is wrong with it.
pub fn parse_sides(s: &str) -> Result<(Vec<ServerId>, Vec<ServerId>, bool), String> {
    let (a, b, one_way) = if let Some((a, b)) = s.split_once('|') {
        (a, b, false)
    } else if let Some((a, b)) = s.split_once('>') {
        (a, b, true)
    } else {
        return Err(format!("`{s}`: separate the two sides with `|` (both ways) or `>` (one way)"));
    };
    let list = |x: &str| {
        x.split(',').map(|p| p.parse::<ServerId>().map_err(|e| e.to_string())).collect::<Result<Vec<_>, String>>()
    };
    Ok((list(a)?, list(b)?, one_way))
}

impl Serialize for ServerId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.short())
    }
}

impl<'de> Deserialize<'de> for ServerId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_parse_in_every_spelling_and_round_trip() {
        for (text, id) in [
            ("gateway", ServerId::Gateway),
            ("n3", ServerId::Node(NodeId(3))),
            ("node 3", ServerId::Node(NodeId(3))),
            ("C12", ServerId::Client(ClientId(12))),
            ("client2", ServerId::Client(ClientId(2))),
        ] {
            assert_eq!(text.parse::<ServerId>(), Ok(id));
            assert_eq!(id.short().parse::<ServerId>(), Ok(id));
        }
        for bad in ["n0", "x1", "n", "node -1", ""] {
            assert!(bad.parse::<ServerId>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn indices_count_from_0_and_id_0_has_none() {
        assert_eq!(NodeId(1).index(), 0);
        assert_eq!(NodeId::from_index(4), NodeId(5));
        assert_eq!(ClientId(3).index(), 2);
        assert_eq!(ClientId::from_index(0), ClientId(1));
        assert_eq!([1, 2].get(NodeId(0).index()), None);
        assert_eq!([1, 2].get(ClientId(0).index()), None);
    }

    #[test]
    fn servers_order_gateway_then_nodes_then_clients() {
        let mut v = vec![
            ServerId::Client(ClientId(1)),
            ServerId::Node(NodeId(2)),
            ServerId::Gateway,
            ServerId::Node(NodeId(1)),
        ];
        v.sort();
        assert_eq!(
            v,
            [ServerId::Gateway, ServerId::Node(NodeId(1)), ServerId::Node(NodeId(2)), ServerId::Client(ClientId(1))]
        );
    }
}

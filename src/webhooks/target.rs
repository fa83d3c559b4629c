//! Where a webhook may send: `http` or `https` URLs only, and never to the
//! service itself or to a private, loopback, link-local or otherwise
//! internal address unless `WEBHOOK_ALLOW_PRIVATE=1` (a receiver inside the
//! deployment's own network, or tests). A URL naming an address is checked
//! when it is given; a host name is checked each time it is resolved, by
//! the delivery client's resolver, so a name that later points inside is
//! refused then too. Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;

/// Longest receiver URL.
pub const MAX_URL: usize = 2_000;

/// What the rules need to know of the deployment.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    pub allow_private: bool,
    /// The service's own listening address.
    pub own: SocketAddr,
}

/// Whether `ip` is inside: loopback, private, link-local, shared, unspecified,
/// multicast, documentation or reserved ranges. An IPv6 address that
/// carries an IPv4 one (mapped, compatible, SIIT, NAT64, 6to4, Teredo) is
/// judged by the IPv4 address it reaches as well.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6) || carried_v4(v6).is_some_and(internal_v4),
    }
}

/// The IPv4 address an IPv6 one carries, if it is of a form that does.
fn carried_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |a: u16, b: u16| Some(Ipv4Addr::from((u32::from(a) << 16) | u32::from(b)));
    match s {
        // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT)
        [0, 0, 0, 0, 0, 0, a, b]
        | [0, 0, 0, 0, 0, 0xffff, a, b]
        | [0, 0, 0, 0, 0xffff, 0, a, b] => low(a, b),
        // NAT64: 64:ff9b::/96 and the local-use 64:ff9b:1::/48
        [0x64, 0xff9b, 0, 0, 0, 0, a, b] => low(a, b),
        [0x64, 0xff9b, 1, _, _, _, a, b] => low(a, b),
        // 6to4: 2002:AABB:CCDD::/48
        [0x2002, a, b, ..] => low(a, b),
        // Teredo: 2001:0::/32, the client's address inverted in the last 32 bits
        [0x2001, 0, _, _, _, _, a, b] => low(!a, !b),
        _ => None,
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let [first, second, third, fourth, ..] = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && second == 0x0db8) // documentation
        || (first == 0x0100 && second == 0 && third == 0 && fourth == 0) // discard
}

impl Reach {
    /// Whether a delivery may connect to `addr`.
    pub fn allows(&self, addr: SocketAddr) -> bool {
        let own_port = addr.port() == self.own.port();
        let is_own = own_port
            && (addr.ip() == self.own.ip()
                || (self.own.ip().is_unspecified() && is_internal(addr.ip())));
        !is_own && (self.allow_private || !is_internal(addr.ip()))
    }

    /// Checks what a receiver URL's host resolves to now, on the URL's port:
    /// the resolver of [`client`] sees names without their port, so the
    /// service's own address is refused here (before each delivery).
    pub async fn check_resolved(&self, url: &Url) -> Result<(), String> {
        let (Some(url::Host::Domain(name)), Some(port)) = (url.host(), url.port_or_known_default())
        else {
            return Ok(());
        };
        let found = tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| format!("{name} does not resolve: {e}"))?;
        for addr in found {
            self.check_addr(addr)?;
        }
        Ok(())
    }

    /// Checks a receiver URL as given: the reason it is refused, if it is.
    pub fn check(&self, text: &str) -> Result<Url, String> {
        if text.chars().count() > MAX_URL {
            return Err(format!("must be at most {MAX_URL} characters"));
        }
        let url = Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials; the signature authenticates us".into());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        match url.host() {
            None => return Err("must name a host".into()),
            Some(url::Host::Ipv4(ip)) => self.check_addr(SocketAddr::new(ip.into(), port))?,
            Some(url::Host::Ipv6(ip)) => self.check_addr(SocketAddr::new(ip.into(), port))?,
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let local = name == "localhost" || name.ends_with(".localhost");
                if local && (!self.allow_private || port == self.own.port()) {
                    return Err(REFUSED.into());
                }
            }
        }
        Ok(url)
    }

    fn check_addr(&self, addr: SocketAddr) -> Result<(), String> {
        if self.allows(addr) {
            Ok(())
        } else {
            Err(REFUSED.into())
        }
    }
}

const REFUSED: &str = "names the service itself or a private, loopback or internal address, \
which webhooks may not reach (WEBHOOK_ALLOW_PRIVATE=1 allows private receivers)";

/// The delivery client's resolver: the system's, with every address the
/// rules refuse left out (a name with none left fails to resolve).
pub struct Resolver(pub Reach);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| reach.allows(*a)).collect();
            if allowed.is_empty() {
                return Err(format!("{host} {REFUSED}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The client deliveries are sent with.
pub fn client(reach: Reach, timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the name itself, past the resolver's rules.
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .dns_resolver(Arc::new(Resolver(reach)))
        .user_agent("safeguarding-api-webhooks/1")
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(allow_private: bool) -> Reach {
        Reach {
            allow_private,
            own: "127.0.0.1:8080".parse().unwrap(),
        }
    }

    #[test]
    fn only_public_http_receivers_without_the_setting() {
        let r = reach(false);
        assert!(r.check("https://hooks.example.org/safeguarding").is_ok());
        assert!(
            r.check("http://203.0.113.9/x").is_err(),
            "documentation range"
        );
        for bad in [
            "ftp://hooks.example.org/",
            "file:///etc/passwd",
            "https://user:pw@hooks.example.org/",
            "http://127.0.0.1:9000/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "not a url",
        ] {
            assert!(r.check(bad).is_err(), "{bad}");
        }
        assert!(r.check("http://8.8.8.8/").is_ok());
        for carried in [
            "http://[::127.0.0.1]/",
            "http://[::ffff:0:10.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[64:ff9b:1::c0a8:1]/",
            "http://[2002:a00:1::]/",
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", // Teredo for 127.0.0.1
            "http://[fec0::1]/",
            "http://[100::1]/",
            "http://2130706433/", // 127.0.0.1 written as a number
            "http://0x7f.1/",
        ] {
            assert!(r.check(carried).is_err(), "{carried}");
        }
        assert!(
            r.check("http://[64:ff9b::808:808]/").is_ok(),
            "NAT64 of a public address"
        );
    }

    #[test]
    fn the_setting_allows_private_receivers_but_never_the_service_itself() {
        let r = reach(true);
        assert!(r.check("http://127.0.0.1:9000/hook").is_ok());
        assert!(r.check("http://localhost:9000/hook").is_ok());
        assert!(r.check("http://127.0.0.1:8080/v1/partnerships").is_err());
        assert!(r.check("http://localhost:8080/v1/partnerships").is_err());
        let anywhere = Reach {
            allow_private: true,
            own: "0.0.0.0:8080".parse().unwrap(),
        };
        assert!(anywhere.check("http://10.0.0.5:8080/").is_err());
        assert!(anywhere.check("http://10.0.0.5:8081/").is_ok());
    }
}

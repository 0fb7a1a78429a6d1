//! Path building: from the leaf, through presented and bundle certificates, to an anchor.
//!
//! A certificate is a candidate issuer when its subject matches the issuer name and the
//! key identifiers (AKI/SKI) do not rule it out; it becomes a link only when its key
//! verifies the signature. Any bundle certificate is an anchor (as rustls, Go and Java
//! treat a CA file). The search is depth-first, loop-free and bounded: at most
//! [`MAX_DEPTH`] links and [`MAX_SIGNATURE_CHECKS`] signature checks, and every
//! certificate is explored at most once. Presented certificates are tried before
//! bundle-only ones, so the path says whether the *server's* chain reaches the bundle.

use std::collections::{HashMap, HashSet};

use super::signature::{self, SignatureCheck};
use crate::model::Certificate;

/// Longest path considered, leaf included.
pub const MAX_DEPTH: usize = 10;
/// Most signature checks one path search may spend.
pub const MAX_SIGNATURE_CHECKS: usize = 512;

/// One certificate on the path.
#[derive(Clone, Debug)]
pub struct PathCert {
    pub cert: Certificate,
    /// Position in the presented chain, when the server sent it.
    pub presented_at: Option<usize>,
    /// Position in the bundle, when the bundle holds it.
    pub bundle_at: Option<usize>,
    pub self_signed: bool,
    /// How this certificate's signature was checked against the next link's key
    /// (`None` for the last link, or a self-signed one).
    pub signature: Option<SignatureCheck>,
    /// True for links above the anchor, added to show the bundle's own chain to its root.
    pub above_anchor: bool,
}

/// How the path ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEnd {
    /// `links[anchor]` is a bundle certificate: the chain is trusted.
    Anchored { anchor: usize },
    /// The last link is a self-signed root that is not in the bundle.
    UntrustedRoot,
    /// The last link's issuer is nowhere to be found.
    MissingIssuer {
        subject: String,
        key_id: Option<String>,
        ca_issuers: Vec<String>,
    },
}

/// A certificate named like the issuer we looked for, that is not it.
#[derive(Clone, Debug)]
pub struct NearMiss {
    pub cert: Certificate,
    pub presented_at: Option<usize>,
    pub bundle_at: Option<usize>,
    pub reason: String,
}

/// The best path found, and what stopped it when it is not anchored.
#[derive(Clone, Debug)]
pub struct ChainPath {
    pub links: Vec<PathCert>,
    pub end: PathEnd,
    /// Certificates that matched the last link's issuer name but did not sign it.
    pub near_misses: Vec<NearMiss>,
    /// True when the search hit a budget; the verdict may then be pessimistic.
    pub budget_exhausted: bool,
}

impl ChainPath {
    pub fn is_anchored(&self) -> bool {
        matches!(self.end, PathEnd::Anchored { .. })
    }

    /// Links from the leaf up to and including the anchor (or the last link).
    pub fn through_anchor(&self) -> &[PathCert] {
        match self.end {
            PathEnd::Anchored { anchor } => &self.links[..=anchor],
            _ => &self.links,
        }
    }
}

/// A certificate from either source, deduplicated by DER.
struct PoolCert<'a> {
    cert: &'a Certificate,
    presented_at: Option<usize>,
    bundle_at: Option<usize>,
}

struct Search<'a> {
    pool: Vec<PoolCert<'a>>,
    signatures: HashMap<(usize, usize), SignatureCheck>,
    self_signed: HashMap<usize, bool>,
    near_misses: HashMap<usize, Vec<(usize, String)>>,
    dead: HashSet<usize>,
    checks: usize,
    exhausted: bool,
    deepest: Vec<usize>,
}

/// Builds the best path for `presented[0]`. Returns `None` when nothing was presented.
pub fn build(presented: &[Certificate], bundle: &[Certificate]) -> Option<ChainPath> {
    presented.first()?;
    let mut search = Search::new(presented, bundle);

    let mut path = vec![0];
    let anchored = search.descend(&mut path);
    let indices = if anchored {
        path
    } else {
        std::mem::take(&mut search.deepest)
    };

    Some(search.finish(indices, anchored))
}

impl<'a> Search<'a> {
    fn new(presented: &'a [Certificate], bundle: &'a [Certificate]) -> Search<'a> {
        let mut pool: Vec<PoolCert<'a>> = Vec::new();
        for (i, cert) in presented.iter().enumerate() {
            if !pool.iter().any(|p| p.cert == cert) {
                pool.push(PoolCert {
                    cert,
                    presented_at: Some(i),
                    bundle_at: None,
                });
            }
        }
        for (i, cert) in bundle.iter().enumerate() {
            match pool.iter_mut().find(|p| p.cert == cert) {
                Some(entry) if entry.bundle_at.is_none() => entry.bundle_at = Some(i),
                Some(_) => {}
                None => pool.push(PoolCert {
                    cert,
                    presented_at: None,
                    bundle_at: Some(i),
                }),
            }
        }

        Search {
            pool,
            signatures: HashMap::new(),
            self_signed: HashMap::new(),
            near_misses: HashMap::new(),
            dead: HashSet::new(),
            checks: 0,
            exhausted: false,
            deepest: vec![0],
        }
    }

    /// Extends `path` until it reaches a bundle certificate. On success `path` holds the
    /// anchored path; on failure it is restored and `deepest` remembers the longest try.
    fn descend(&mut self, path: &mut Vec<usize>) -> bool {
        let current = *path.last().expect("a path always holds at least the leaf");
        if self.pool[current].bundle_at.is_some() {
            return true;
        }

        if path.len() > self.deepest.len() {
            self.deepest = path.clone();
        }
        if self.is_self_signed(current) || path.len() >= MAX_DEPTH || self.dead.contains(&current) {
            return false;
        }

        for candidate in self.issuer_candidates(current, path) {
            path.push(candidate);
            if self.descend(path) {
                return true;
            }
            path.pop();
        }

        self.dead.insert(current);
        false
    }

    /// Certificates whose key verifies `current`'s signature, presented ones first.
    fn issuer_candidates(&mut self, current: usize, path: &[usize]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.pool.len())
            .filter(|&i| !path.contains(&i))
            .filter(|&i| self.pool[current].cert.issuer_name_is(self.pool[i].cert))
            .collect();
        order.sort_by_key(|&i| (self.pool[i].presented_at.is_none(), i));

        let mut found = Vec::new();
        for candidate in order {
            let child = self.pool[current].cert;
            let issuer = self.pool[candidate].cert;
            if !child.key_ids_allow_issuer(issuer) {
                self.miss(
                    current,
                    candidate,
                    "its key identifier differs from the one the certificate names",
                );
                continue;
            }
            match self.signature(current, candidate) {
                SignatureCheck::Valid => found.push(candidate),
                // An unverifiable signature links only when both key identifiers vouch.
                SignatureCheck::Unsupported(_)
                    if child.authority_key_id.is_some() && issuer.subject_key_id.is_some() =>
                {
                    found.push(candidate)
                }
                SignatureCheck::Unsupported(why) => {
                    let reason = format!("its signature could not be checked ({why})");
                    self.miss(current, candidate, &reason)
                }
                SignatureCheck::Invalid => self.miss(
                    current,
                    candidate,
                    "same name, but its key did not sign the certificate",
                ),
            }
        }
        found
    }

    fn miss(&mut self, child: usize, candidate: usize, reason: &str) {
        let list = self.near_misses.entry(child).or_default();
        if !list.iter().any(|(i, _)| *i == candidate) {
            list.push((candidate, reason.to_string()));
        }
    }

    fn signature(&mut self, child: usize, issuer: usize) -> SignatureCheck {
        if let Some(known) = self.signatures.get(&(child, issuer)) {
            return known.clone();
        }
        if self.checks >= MAX_SIGNATURE_CHECKS {
            self.exhausted = true;
            return SignatureCheck::Invalid;
        }

        self.checks += 1;
        let result = signature::check(self.pool[child].cert, self.pool[issuer].cert);
        self.signatures.insert((child, issuer), result.clone());
        result
    }

    fn is_self_signed(&mut self, index: usize) -> bool {
        if let Some(&known) = self.self_signed.get(&index) {
            return known;
        }

        let cert = self.pool[index].cert;
        let result = cert.names_itself_as_issuer()
            && cert.key_ids_allow_issuer(cert)
            && self.signature(index, index) != SignatureCheck::Invalid;
        self.self_signed.insert(index, result);
        result
    }

    /// Adds the certificates above a non-root anchor (bundle ones first, then presented
    /// ones), so reports show the chain up to its root.
    fn extend_above_anchor(&mut self, path: &mut Vec<usize>) {
        while path.len() < MAX_DEPTH {
            let current = *path.last().expect("a path always holds at least the leaf");
            if self.is_self_signed(current) {
                return;
            }
            let mut order: Vec<usize> = (0..self.pool.len()).collect();
            order.sort_by_key(|&i| (self.pool[i].bundle_at.is_none(), i));
            let next = order.into_iter().find(|&i| {
                !path.contains(&i)
                    && self.pool[current].cert.issuer_name_is(self.pool[i].cert)
                    && self.pool[current]
                        .cert
                        .key_ids_allow_issuer(self.pool[i].cert)
                    && self.signature(current, i) == SignatureCheck::Valid
            });
            match next {
                Some(i) => path.push(i),
                None => return,
            }
        }
    }

    fn finish(mut self, mut indices: Vec<usize>, anchored: bool) -> ChainPath {
        let anchor = indices.len() - 1;
        if anchored {
            self.extend_above_anchor(&mut indices);
        }

        let last = *indices
            .last()
            .expect("a path always holds at least the leaf");
        let last_self_signed = self.is_self_signed(last);
        let end = if anchored {
            PathEnd::Anchored { anchor }
        } else if last_self_signed {
            PathEnd::UntrustedRoot
        } else {
            let cert = self.pool[last].cert;
            PathEnd::MissingIssuer {
                subject: cert.issuer.clone(),
                key_id: cert.authority_key_id_hex(),
                ca_issuers: cert.ca_issuers.clone(),
            }
        };

        let links = indices
            .iter()
            .enumerate()
            .map(|(pos, &i)| {
                let signature = indices.get(pos + 1).map(|&up| self.signature(i, up));
                PathCert {
                    cert: self.pool[i].cert.clone(),
                    presented_at: self.pool[i].presented_at,
                    bundle_at: self.pool[i].bundle_at,
                    self_signed: self.is_self_signed(i),
                    signature,
                    above_anchor: anchored && pos > anchor,
                }
            })
            .collect();

        let near_misses = if anchored {
            Vec::new()
        } else {
            self.near_misses
                .remove(&last)
                .unwrap_or_default()
                .into_iter()
                .map(|(i, reason)| NearMiss {
                    cert: self.pool[i].cert.clone(),
                    presented_at: self.pool[i].presented_at,
                    bundle_at: self.pool[i].bundle_at,
                    reason,
                })
                .collect()
        };

        ChainPath {
            links,
            end,
            near_misses,
            budget_exhausted: self.exhausted,
        }
    }
}

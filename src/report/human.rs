//! The human renderer: a doctor's report. Per target a verdict line, the issuing path
//! as a tree with days to expiry, then each finding with its numbered fix steps; the
//! bundle in one line (or, for `bundle`, certificate by certificate); a summary last.

use std::io::{self, Write};

use super::paint::Paint;
use super::{BundleReport, Renderer, Report, TargetReport};
use crate::analysis::clients::ClientVerdicts;
use crate::analysis::{PathCert, PathEnd};
use crate::findings::{Finding, Status};
use crate::model::{BundleSource, Certificate};

/// Text report. `bundle` lists every bundle certificate in detail; `chain` adds
/// fingerprints and keys to the presented chain.
pub struct Human {
    pub paint: Paint,
}

const WIDTH: usize = 100;

impl Renderer for Human {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        if let Some(bundle) = &report.bundle {
            self.bundle_header(report, bundle, out)?;
        }
        self.client_and_pin(report, out)?;
        if let Some(repair) = &report.repair {
            self.repair(repair, out)?;
        }
        if let Some(store) = &report.store {
            self.store(store, out)?;
        }

        for target in &report.targets {
            writeln!(out)?;
            self.target(report, target, out)?;
        }

        if let Some(bundle) = &report.bundle
            && !bundle.findings.is_empty()
        {
            writeln!(out)?;
            writeln!(out, "{}", self.paint.bold("Bundle findings"))?;
            for finding in &bundle.findings {
                self.finding(finding, out)?;
            }
        }
        let sections = [
            (
                "Client certificate findings",
                report.client.as_ref().map(|c| &c.findings),
            ),
            ("Set-up findings", Some(&report.setup)),
        ];
        for (title, findings) in sections {
            let Some(findings) = findings.filter(|f| !f.is_empty()) else {
                continue;
            };
            writeln!(out)?;
            writeln!(out, "{}", self.paint.bold(title))?;
            for finding in findings {
                self.finding(finding, out)?;
            }
        }

        writeln!(out)?;
        self.summary(report, out)
    }
}

impl Human {
    /// The repair plan of `fix`: what is added, removed, refused, still missing.
    fn repair(&self, r: &super::RepairReport, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        let plan = &r.plan;
        let mode = if r.dry_run {
            "dry run: add --write to apply"
        } else {
            "--write"
        };
        writeln!(out)?;
        writeln!(
            out,
            "{} {}",
            p.bold(&format!("Repair plan for {}", r.bundle_path)),
            p.dim(&format!("({mode})"))
        )?;

        for a in &plan.additions {
            let line = format!(
                "+ add `{}` (sha256 {}) from {}: {}",
                a.subject, a.sha256, a.source, a.reason
            );
            self.wrapped(&p.green(&line), &line, out)?;
        }
        for m in &plan.removals {
            let line = format!("- remove `{}`: {}", m.subject, m.reason);
            self.wrapped(&p.yellow(&line), &line, out)?;
        }
        for x in &plan.refused {
            let line = format!(
                "✘ refused `{}` (sha256 {}) from {}: {}",
                x.subject, x.sha256, x.source, x.reason
            );
            self.wrapped(&p.red(&line), &line, out)?;
        }
        for u in &plan.unresolved {
            let key = u
                .key_id
                .as_deref()
                .map(|k| format!(" (key id {k})"))
                .unwrap_or_default();
            let line = format!(
                "? still missing for {}: `{}`{key}: {}",
                u.target, u.missing, u.reason
            );
            self.wrapped(&p.red(&line), &line, out)?;
        }
        if plan.convert_to_pem {
            writeln!(out, "  ~ written as PEM (the file is DER or PKCS#7 now)")?;
        }
        if !plan.changes_anything() {
            writeln!(out, "  nothing to change")?;
        } else {
            let order: Vec<&str> = plan.result.iter().map(|c| c.short_name()).collect();
            let line = format!("resulting bundle: {}", order.join(" → "));
            self.wrapped(&line, &line, out)?;
        }
        if let Some((path, backup)) = &r.written {
            writeln!(out, "  {} {path} (backup: {backup})", p.green("written:"))?;
        }
        if let Some(key) = &r.key_saved_to {
            writeln!(out, "  private key moved to {key} (mode 0600)")?;
        }
        if let Some(reason) = &r.not_written {
            let line = format!("not written: {reason}");
            self.wrapped(&p.yellow(&line), &line, out)?;
        }
        for note in &r.notes {
            let line = format!("note: {note}");
            self.wrapped(&p.dim(&line), &line, out)?;
        }
        Ok(())
    }

    /// One plan line, wrapped; colour applies to the whole line when it fits.
    fn wrapped(&self, painted: &str, plain: &str, out: &mut dyn Write) -> io::Result<()> {
        let lines = wrap(plain, WIDTH - 4);
        if lines.len() <= 1 {
            return writeln!(out, "  {painted}");
        }
        for (i, line) in lines.iter().enumerate() {
            let indent = if i == 0 { "  " } else { "      " };
            writeln!(out, "{indent}{line}")?;
        }
        Ok(())
    }

    /// The cert store audit: one line per file, then its findings.
    fn store(&self, store: &super::StoreReport, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        writeln!(
            out,
            "{} {} — {} file{}",
            p.status(store.status, &format!("[{}]", store.status.as_str())),
            p.bold(&format!("cert store {}", store.root)),
            store.files.len(),
            plural(store.files.len())
        )?;
        for file in &store.files {
            writeln!(out)?;
            let key = file
                .partner
                .as_deref()
                .map(|k| format!(" + {k}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {}{key}  {}",
                p.status(file.status, &format!("[{}]", file.status.as_str())),
                p.bold(&file.path),
                p.dim(&file.kind)
            )?;
            for line in wrap(&file.summary, WIDTH - 6) {
                writeln!(out, "      {line}")?;
            }
            for finding in &file.findings {
                self.finding(finding, out)?;
            }
        }
        let (limits, missing): (Vec<&Finding>, Vec<&Finding>) = store
            .findings
            .iter()
            .partition(|f| f.code == crate::findings::Code::StoreIncompleteAudit);
        for (title, findings) in [
            ("What was not audited", limits),
            ("What the enabled services miss", missing),
        ] {
            if !findings.is_empty() {
                writeln!(out)?;
                writeln!(out, "{}", p.bold(title))?;
                for finding in findings {
                    self.finding(finding, out)?;
                }
            }
        }
        Ok(())
    }

    /// One line each for the client certificate and the pin, when the run loaded them.
    fn client_and_pin(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        if let Some(client) = &report.client
            && let Some(leaf) = client.chain.first()
        {
            let days = report.checked_at.days_until(leaf.not_after);
            writeln!(
                out,
                "{} {} — `{}`, key {}, {}",
                p.status(client.status, &format!("[{}]", client.status.as_str())),
                p.bold(&format!("client certificate {}", client.cert_path)),
                leaf.subject,
                client.key_path,
                p.days_left(days, report.warn_days, &format!("{days} days left"))
            )?;
        }
        if let Some(pin) = &report.pin {
            writeln!(
                out,
                "{} `{}` sha256 {}",
                p.bold("DataConnect pin"),
                pin.subject,
                pin.sha256
            )?;
        }
        Ok(())
    }

    fn bundle_header(
        &self,
        report: &Report,
        b: &BundleReport,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let p = &self.paint;
        let count = b.bundle.certs.len();
        let names: Vec<String> = b
            .bundle
            .certs
            .iter()
            .map(|c| format!("{} ({})", c.short_name(), kind(c)))
            .collect();
        let what = match &b.bundle.source {
            BundleSource::File(path) => format!("bundle {path}"),
            BundleSource::SystemStore(path) => format!("system trust store {path}"),
            BundleSource::None => "no bundle (trust not judged; pass --ca to judge it)".to_string(),
        };
        if matches!(b.bundle.source, BundleSource::None) {
            return writeln!(out, "{}", p.dim(&what));
        }

        let listed = if (1..=4).contains(&count) {
            format!(": {}", names.join(", "))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} {} — {count} certificate{}{listed}",
            p.status(b.status, &format!("[{}]", b.status.as_str())),
            p.bold(&what),
            plural(count),
        )?;

        if report.command == "bundle" {
            for defect in &b.bundle.defects {
                if let crate::model::BundleDefect::Cosmetic { note } = defect {
                    writeln!(out, "  {} {note}", p.dim("note:"))?;
                }
            }
            for (i, cert) in b.bundle.certs.iter().enumerate() {
                writeln!(out)?;
                self.cert_detail(&format!("#{}", i + 1), cert, report, out)?;
                let chained = match b.issuers[i] {
                    Some(j) if j == i => "self-signed root".to_string(),
                    Some(j) => format!("issued by #{}", j + 1),
                    None if is_root(cert) => "self-signed root".to_string(),
                    None => format!("issuer `{}` is not in this bundle", cert.issuer),
                };
                writeln!(out, "      {:<9} {}", "chains", chained)?;
            }
        }
        Ok(())
    }

    fn target(&self, report: &Report, t: &TargetReport, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        let status = t.diagnosis.status;
        let mark = match status {
            Status::Ok => "✔ OK     ",
            Status::Warning => "▲ WARNING",
            Status::Error => "✘ ERROR  ",
        };
        let mut line = format!("{} {}", p.status(status, mark), p.bold(&t.spec.label));
        if let Some(service) = &t.spec.service {
            line.push_str(&format!("  {service}"));
        }
        let mut facts = Vec::new();
        facts.extend(t.outcome.tls_version.clone());
        facts.extend(t.outcome.cipher.clone());
        if let Some(address) = &t.outcome.address {
            facts.push(format!("via {address}"));
        }
        if t.outcome.client_cert_sent {
            facts.push("client certificate sent".to_string());
        }
        match t.diagnosis.chain.as_ref().and_then(|c| c.pinned) {
            Some(true) => facts.push("pinned certificate".to_string()),
            Some(false) => facts.push("pin does not match".to_string()),
            None => {}
        }
        let handshake_failed = t.outcome.failure.is_some();
        if handshake_failed && t.outcome.tls_version.is_some() {
            facts.push("handshake not completed".to_string());
        }
        if !facts.is_empty() {
            line.push_str(&format!("  {}", p.dim(&facts.join(" · "))));
        }
        writeln!(out, "{line}")?;

        if let Some(chain) = &t.diagnosis.chain {
            if let Some(path) = &chain.path {
                self.path_tree(report, t, &path.links, &path.end, out)?;
            }
            if let Some(verdict) = &chain.verdict {
                let text = match (&verdict.ok, &verdict.error) {
                    (true, _) => p.green("accepted"),
                    (false, Some(e)) => p.red(&format!("rejected ({e})")),
                    (false, None) => p.red("rejected"),
                };
                let label = if handshake_failed {
                    "rustls/webpki, chain only:"
                } else {
                    "rustls/webpki:"
                };
                writeln!(out, "    {} {text}", p.dim(label))?;
            }
            self.clients(&chain.clients, out)?;
        }
        if let Some(req) = &t.outcome.client_auth {
            let cas = if req.acceptable_cas.is_empty() {
                "any CA (none listed)".to_string()
            } else {
                req.acceptable_cas.join("; ")
            };
            writeln!(
                out,
                "    {} {cas}",
                p.dim("client certificate requested, accepted CAs:")
            )?;
        }

        for finding in &t.diagnosis.findings {
            self.finding(finding, out)?;
        }
        Ok(())
    }

    /// The client matrix on one line, then the rule that failed each rejecting client.
    fn clients(&self, verdicts: &ClientVerdicts, out: &mut dyn Write) -> io::Result<()> {
        if verdicts.is_empty() {
            return Ok(());
        }
        let p = &self.paint;
        let cells: Vec<String> = verdicts
            .iter()
            .map(|(profile, v)| {
                let mark = if v.ok { p.green("✔") } else { p.red("✘") };
                format!("{profile} {mark}")
            })
            .collect();
        writeln!(out, "    {} {}", p.dim("clients:"), cells.join(" "))?;
        for (profile, v) in verdicts.iter().filter(|(_, v)| !v.ok) {
            let text = format!("{profile}: {}", v.reason);
            let mut lines = wrap(&text, WIDTH - 8).into_iter();
            if let Some(first) = lines.next() {
                writeln!(out, "      {} {first}", p.dim("·"))?;
            }
            for line in lines {
                writeln!(out, "        {line}")?;
            }
        }
        Ok(())
    }

    fn path_tree(
        &self,
        report: &Report,
        t: &TargetReport,
        links: &[PathCert],
        end: &PathEnd,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let p = &self.paint;
        let anchor = match end {
            PathEnd::Anchored { anchor } => Some(*anchor),
            _ => None,
        };

        for (depth, link) in links.iter().enumerate() {
            let indent = "    ".to_string() + &"   ".repeat(depth.saturating_sub(1));
            let branch = if depth == 0 { "" } else { "└─ " };
            let place = match (link.presented_at, link.bundle_at) {
                (Some(i), Some(_)) => format!("[{i}] sent, in bundle"),
                (Some(i), None) => format!("[{i}] sent"),
                (None, Some(j)) => format!("bundle #{}", j + 1),
                (None, None) => String::new(),
            };
            let mut tags = vec![place];
            if anchor == Some(depth) {
                tags.push(p.green("trust anchor"));
            }
            if link.self_signed {
                tags.push("root".to_string());
            }
            let days = report.checked_at.days_until(link.cert.not_after);
            let expiry = p.days_left(
                days,
                report.warn_days,
                &match days {
                    d if d < 0 => {
                        format!("expired {} ({} days ago)", link.cert.not_after.date(), -d)
                    }
                    d => format!("expires {} ({d} days)", link.cert.not_after.date()),
                },
            );
            writeln!(
                out,
                "{indent}{branch}{}  {}  {}",
                link.cert.subject,
                p.dim(&tags.join(", ")),
                expiry
            )?;
            if report.command == "chain" {
                let pad = format!("{indent}   ");
                writeln!(
                    out,
                    "{pad}{}",
                    p.dim(&format!("sha256 {}", link.cert.sha256))
                )?;
                writeln!(
                    out,
                    "{pad}{}",
                    p.dim(&format!(
                        "{}, {}",
                        link.cert.key, link.cert.signature_algorithm
                    ))
                )?;
            }
        }

        let indent = "    ".to_string() + &"   ".repeat(links.len().saturating_sub(1));
        match end {
            PathEnd::MissingIssuer {
                subject, key_id, ..
            } => {
                let id = key_id
                    .as_deref()
                    .map(|k| format!(" (key id {k})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{indent}└─ {}",
                    p.red(&format!("missing: {subject}{id}"))
                )?;
            }
            PathEnd::UntrustedRoot
                if t.diagnosis
                    .chain
                    .as_ref()
                    .is_some_and(|c| c.verdict.is_some()) =>
            {
                writeln!(out, "{indent}   {}", p.red("(root not in your bundle)"))?;
            }
            _ => {}
        }

        for (i, cert) in t.outcome.presented.iter().enumerate() {
            if !links.iter().any(|l| l.presented_at == Some(i)) {
                writeln!(
                    out,
                    "    {}",
                    p.dim(&format!(
                        "also sent: [{i}] {} (not on the path)",
                        cert.subject
                    ))
                )?;
            }
        }
        Ok(())
    }

    fn cert_detail(
        &self,
        label: &str,
        cert: &Certificate,
        report: &Report,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let p = &self.paint;
        let days = report.checked_at.days_until(cert.not_after);
        writeln!(out, "  {} {}", p.bold(label), p.bold(&cert.subject))?;
        let rows = [
            ("issuer", cert.issuer.clone()),
            ("serial", cert.serial.clone()),
            (
                "valid",
                format!(
                    "{} → {} ({})",
                    cert.not_before.date(),
                    cert.not_after.date(),
                    p.days_left(
                        days,
                        report.warn_days,
                        &if days < 0 {
                            format!("expired {} days ago", -days)
                        } else {
                            format!("{days} days left")
                        }
                    )
                ),
            ),
            ("sha256", cert.sha256.clone()),
            (
                "key",
                format!("{}, signed {}", cert.key, cert.signature_algorithm),
            ),
            (
                "CA",
                if cert.is_ca() {
                    "yes".to_string()
                } else {
                    "no".to_string()
                },
            ),
        ];
        for (name, value) in rows {
            writeln!(out, "      {name:<9} {value}")?;
        }
        if !cert.san.is_empty() {
            let san: Vec<String> = cert.san.iter().map(ToString::to_string).collect();
            writeln!(out, "      {:<9} {}", "SAN", san.join(", "))?;
        }
        Ok(())
    }

    fn finding(&self, f: &Finding, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        writeln!(out)?;
        writeln!(
            out,
            "  {} {}",
            p.severity(f.severity, &format!("{}:", f.severity.as_str())),
            p.bold(f.code.as_str())
        )?;
        for line in wrap(&f.message, WIDTH - 4) {
            writeln!(out, "    {line}")?;
        }
        for cert in &f.certificates {
            let id = match (&cert.sha256, &cert.key_id) {
                (Some(sha), _) => format!("sha256 {sha}"),
                (None, Some(key)) => format!("key id {key}"),
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "    {} {} {}",
                p.dim(&format!("· {}:", cert.role)),
                cert.subject,
                p.dim(&id)
            )?;
        }
        if !f.fix.is_empty() {
            writeln!(out, "    {}", p.bold("fix:"))?;
            for (i, step) in f.fix.iter().enumerate() {
                let mut lines = wrap(step, WIDTH - 9).into_iter();
                if let Some(first) = lines.next() {
                    writeln!(out, "    {:>2}. {first}", i + 1)?;
                }
                for line in lines {
                    writeln!(out, "        {line}")?;
                }
            }
        }
        Ok(())
    }

    fn summary(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.paint;
        let s = report.summary();
        let status = report.status();
        let mut parts = Vec::new();
        if s.targets > 0 {
            parts.push(format!(
                "{} target{}: {} ok, {} warning{}, {} error{}",
                s.targets,
                plural(s.targets),
                s.ok,
                s.warnings,
                plural(s.warnings),
                s.errors,
                plural(s.errors)
            ));
        }
        if let Some(b) = &report.bundle
            && b.bundle.source.path().is_some()
        {
            parts.push(format!("bundle {}", b.status.as_str()));
        }
        if let Some(c) = &report.client {
            parts.push(format!("client certificate {}", c.status.as_str()));
        }
        if let Some(s) = &report.store {
            parts.push(format!(
                "cert store {}: {} file{}",
                s.status.as_str(),
                s.files.len(),
                plural(s.files.len())
            ));
        }
        if !report.setup.is_empty() {
            parts.push(format!(
                "set-up {}",
                crate::findings::worst_status(&report.setup).as_str()
            ));
        }
        writeln!(
            out,
            "{} {} {}",
            p.status(status, &format!("{}.", status.as_str().to_uppercase())),
            parts.join("; "),
            p.dim(&format!("(exit {})", s.exit_code))
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn is_root(cert: &Certificate) -> bool {
    crate::analysis::signature::is_self_signed(cert)
}

fn kind(cert: &Certificate) -> &'static str {
    if is_root(cert) {
        "root"
    } else if cert.is_ca() {
        "intermediate"
    } else {
        "not a CA"
    }
}

/// Greedy word wrap; words longer than the width stay whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

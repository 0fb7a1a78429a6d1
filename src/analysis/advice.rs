//! Shared wording for fix steps: file names derived from certificates, the ISE menu
//! paths, and the commands that recur across checks. Keeping them here keeps every
//! finding's advice consistent.

/// ISE's menu path to the trusted-certificate store.
pub const ISE_TRUSTED: &str = "Administration > System > Certificates > Trusted Certificates";
/// ISE's menu path to the system (server) certificates.
pub const ISE_SYSTEM: &str = "Administration > System > Certificates > System Certificates";
/// ISE's menu path to certificate signing requests.
pub const ISE_CSR: &str = "Administration > System > Certificates > Certificate Signing Requests";

/// A file name for a certificate with this subject, e.g. `LAB-ISSUING-CA.pem`.
pub fn file_name_for(subject: &str) -> String {
    let cn = subject
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject);
    let mut name: String = cn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_matches(|c| c == '.' || c == '_').to_string();
    if name.is_empty() {
        name = "issuer".to_string();
    }
    name.truncate(64);
    format!("{name}.pem")
}

/// Shell-quotes a path or argument when it needs it.
pub fn quote(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:+@%=,".contains(c));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `1`, `1 and 2`, `1, 2 and 3`; more than `limit` items end in `…`.
pub fn and_list(items: &[String], limit: usize) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        _ if items.len() > limit => format!("{}, …", items[..limit].join(", ")),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "twice", "3 times".
pub fn times(n: usize) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}

/// The shell command that backs up `bundle` and appends `file` to it. The `echo` keeps
/// the new block off the last line of a bundle that lacks a final newline (a glued
/// `-----END…----------BEGIN` makes OpenSSL refuse the whole file).
pub fn append_command(file: &str, bundle: &str) -> String {
    let b = quote(bundle);
    format!("cp {b} {b}.bak && {{ echo; cat {}; }} >> {b}", quote(file))
}

/// "the command that re-checks" after a client-side fix.
pub fn recheck(host_port: &str, bundle_path: &str) -> String {
    format!(
        "Re-check: `ise-doctor check {host_port} --ca {}`.",
        quote(bundle_path)
    )
}

/// Days as words: "in 12 days", "today", "3 days ago".
pub fn days_phrase(days: i64) -> String {
    match days {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        -1 => "1 day ago".to_string(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_cn() {
        assert_eq!(
            file_name_for("CN=LAB-ISSUING-CA, O=Example"),
            "LAB-ISSUING-CA.pem"
        );
        assert_eq!(file_name_for("O=Example Org"), "O_Example_Org.pem");
        assert_eq!(file_name_for("CN=../../etc"), "etc.pem");
    }

    #[test]
    fn quoting_only_when_needed() {
        assert_eq!(quote("/home/u/ROOT-CA.crt"), "/home/u/ROOT-CA.crt");
        assert_eq!(quote("/tmp/my bundle.pem"), "'/tmp/my bundle.pem'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}

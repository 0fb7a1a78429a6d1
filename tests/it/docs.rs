//! Generated and hand-written docs stay in step with the code registry.

use std::path::Path;

use ise_doctor::findings::REGISTRY;

use crate::support::Run;

fn repo_file(name: &str) -> Option<String> {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).ok()
}

#[test]
fn docs_codes_md_is_what_codes_markdown_prints() {
    let committed = repo_file("docs/codes.md").expect("docs/codes.md is committed");
    let generated = Run::new(["codes", "--markdown"]).code(0).stdout;
    assert!(
        committed == generated,
        "docs/codes.md is stale: regenerate it with \
         `cargo run -q -- codes --markdown > docs/codes.md`"
    );
    for doc in REGISTRY {
        assert!(
            committed.contains(&format!("`{}`", doc.name)),
            "{} not in docs",
            doc.name
        );
    }
}

#[test]
fn readme_mentions_every_code() {
    let readme = repo_file("README.md").expect("README.md exists");
    let missing: Vec<&str> = REGISTRY
        .iter()
        .map(|doc| doc.name)
        .filter(|name| !readme.contains(name))
        .collect();
    assert!(missing.is_empty(), "README.md does not mention {missing:?}");
}

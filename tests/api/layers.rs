//! The layering rules of docs/design.md, checked on the source as syntax (with `syn`, so comments
//! and strings do not count): REST handlers reach storage only through GraphQL or the service
//! layer; `domain/` is pure; GraphQL mutations write through the service layer.

use std::path::{Path, PathBuf};

use syn::visit::{self, Visit};

/// One rule: the files under `dir` must not name any of `paths` (a path that starts with one of
/// them, `use` trees included) nor call any of `methods`.
struct Rule {
    dir: &'static str,
    why: &'static str,
    paths: &'static [&'static str],
    methods: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        dir: "rest",
        why: "REST handlers forward to GraphQL or call the service layer; they name no entity and run no SQL",
        paths: &[
            "entity",
            "sea_orm",
            "sqlx",
            "crate::db",
            "crate::auth::scope",
        ],
        methods: &[],
    },
    Rule {
        dir: "domain",
        why: "domain/ is pure: no database, no HTTP, no layer above it",
        paths: &[
            "sea_orm",
            "sqlx",
            "axum",
            "http",
            "hyper",
            "tower",
            "tower_http",
            "reqwest",
            "tokio",
            "crate::db",
            "crate::auth",
            "crate::service",
            "crate::graphql",
            "crate::rest",
            "crate::llm",
        ],
        methods: &[],
    },
    Rule {
        dir: "graphql/mutation",
        why: "GraphQL mutations write through the service layer",
        paths: &["sea_orm", "sqlx", "crate::db", "crate::auth::scope"],
        methods: &[
            "insert",
            "update",
            "exec",
            "update_many",
            "delete_many",
            "delete_owned",
            "update_versioned",
            "begin",
        ],
    },
];

/// The paths and method calls a file names that break `rule`.
fn breaches(source: &str, rule: &Rule) -> Vec<String> {
    let file = syn::parse_file(source).expect("the source parses");
    let mut names = Names::default();
    names.visit_file(&file);
    let named = names.paths.iter().filter(|path| {
        rule.paths
            .iter()
            .any(|banned| path.as_str() == *banned || path.starts_with(&format!("{banned}::")))
    });
    let called = names
        .methods
        .iter()
        .filter(|method| rule.methods.contains(&method.as_str()))
        .map(|method| format!(".{method}()"));
    named.cloned().chain(called).collect()
}

/// Every path a file names (`a::b::c`, each `use` tree flattened) and every method it calls.
#[derive(Default)]
struct Names {
    paths: Vec<String>,
    methods: Vec<String>,
}

impl Names {
    fn use_tree(&mut self, prefix: &str, tree: &syn::UseTree) {
        let join = |name: &dyn std::fmt::Display| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}::{name}")
            }
        };
        match tree {
            syn::UseTree::Path(path) => self.use_tree(&join(&path.ident), &path.tree),
            syn::UseTree::Name(name) => self.paths.push(join(&name.ident)),
            syn::UseTree::Rename(rename) => self.paths.push(join(&rename.ident)),
            syn::UseTree::Glob(_) => self.paths.push(join(&"*")),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree("", &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.paths.push(segments.join("::"));
        visit::visit_path(self, path);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.methods.push(call.method.to_string());
        visit::visit_expr_method_call(self, call);
    }
}

/// The `.rs` files under `dir`, at any depth.
pub fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source directory reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn every_layer_keeps_to_its_rule() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for rule in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(rule.dir), &mut files);
        assert!(!files.is_empty(), "no source under src/{}", rule.dir);
        for file in files {
            let source = std::fs::read_to_string(&file).expect("the file reads");
            let found = breaches(&source, rule);
            if !found.is_empty() {
                let name = file.strip_prefix(&src).unwrap_or(&file).display();
                broken.push(format!("{name}: {} ({})", found.join(", "), rule.why));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_check_sees_what_a_file_names() {
    let rest = &RULES[0];
    let mutation = &RULES[2];
    let grouped = "use crate::{auth::Principal, db::{begin_write}};\nfn f() {}";
    assert_eq!(breaches(grouped, rest), ["crate::db::begin_write"]);
    let in_code = "fn f() { let _ = entity::character::Entity::find(); }";
    assert_eq!(breaches(in_code, rest), ["entity::character::Entity::find"]);
    let in_comment = "// entity::character and sea_orm::Set\nfn f() { let _ = \"sea_orm\"; }";
    assert!(breaches(in_comment, rest).is_empty());
    let write = "fn f() { row.insert(db); }";
    assert_eq!(breaches(write, mutation), [".insert()"]);
}

//! A small Poetry project for the Nix-side tests (helpers, init, flake, terminal): a src layout,
//! a console script, an index dependency, a `develop = true` folder and a dev group.

use super::IndexServer;
use super::artifacts::{self, lock_entry, serve};
use super::project::Project;

const PYPROJECT: &str = r#"[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "shop"
version = "1.2.0"
requires-python = ">=3.9"
dependencies = ["dep-a", "helper"]

[project.scripts]
shop = "shop.cli:main"

[dependency-groups]
dev = ["dev-tool"]

[tool.poetry.dependencies]
helper = { path = "libs/helper", develop = true }
"#;

/// A src-layout project `shop` (console script `shop`) depending on `dep-a` from a loopback
/// index and on the folder `libs/helper` (develop = true), with `dev-tool` in its dev group.
pub fn project() -> (Project, IndexServer) {
    let dep_a = artifacts::pure_wheel("dep-a", "1.0", &[("dep_a/__init__.py".into(), b"VALUE = 'a'\n".to_vec())]);
    let dev_tool =
        artifacts::pure_wheel("dev-tool", "1.0", &[("dev_tool/__init__.py".into(), b"VALUE = 'dev'\n".to_vec())]);
    let server = serve(&[("dep-a", &dep_a), ("dev-tool", &dev_tool)]);
    let mut lock = lock_entry("dep-a", &dep_a) + &lock_entry("dev-tool", &dev_tool);
    lock += "[[package]]\nname = \"helper\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\ndevelop = true\n\n[package.source]\ntype = \"directory\"\nurl = \"libs/helper\"\n\n";
    lock += "[metadata]\nlock-version = \"2.0\"\npython-versions = \">=3.9\"\ncontent-hash = \"0\"\n";
    let project = Project::inline(&lock, PYPROJECT);
    // The in-tree backend, taught the src layout.
    let files = artifacts::in_tree_project("shop", "1.2.0", "shop", "", &[("shop", "shop.cli:main")]);
    let backend = &files.iter().find(|(path, _)| path == "backend.py").unwrap().1;
    let backend = backend.replace("os.walk(\"shop\")", "os.walk(\"src/shop\")").replace(
        "z.write(os.path.join(root, f))",
        "z.write(os.path.join(root, f), os.path.relpath(os.path.join(root, f), \"src\"))",
    );
    project.write("backend.py", &backend);
    project.write("src/shop/__init__.py", "import dep_a, helper\nVALUE = 'one'\n");
    project.write("src/shop/cli.py", "import shop, helper\ndef main():\n    print(shop.VALUE, helper.VALUE)\n");
    for (path, text) in artifacts::in_tree_project("helper", "1.0", "helper", "VALUE = 'h1'\n", &[]) {
        project.write(&format!("libs/helper/{path}"), &text);
    }
    (project, server)
}

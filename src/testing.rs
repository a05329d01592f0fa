//! The stages' own types and functions for the tests and benches, which reach the pipeline
//! stage by stage: not part of the API (hidden from the docs), and free to change with them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::model::{Lock, Sha256, Source};
use crate::name::PackageName;
use crate::plan::{LocalPath, PinnedSource};

pub mod fetch {
    pub use crate::fetch::git::{GitTree, prefetch, resolve_reference};
    pub use crate::fetch::nar;
    pub use crate::fetch::{FetchError, FetchOptions, FileLocation, Located, ProjectQuery, locate, locate_for_lock};
}
pub mod generate {
    pub use crate::generate::plan_offline;
}
pub mod infer {
    pub use crate::infer::{
        BuildSystem, BuildSystemSource, InferError, NativeNeeds, WheelLibraries, native_needs, sdist_build_system,
        wheel_libraries,
    };
}
pub mod lockfile {
    pub use crate::lockfile::read;
    pub mod poetry {
        pub use crate::lockfile::poetry::parse;
    }
    pub mod uv {
        pub use crate::lockfile::uv::parse;
    }
}
pub mod model {
    pub use crate::model::{ConflictItem, FileHash, HashAlgorithm, Lock, LockedFile, Package, Sha256, Source};
}
pub mod overrides {
    pub use crate::overrides::Database;
}
pub mod plan {
    pub use crate::plan::{LocalPath, Locations, PinnedSource, Plain, Plan, PlannedArtifact, plan};
}
pub mod project {
    pub use crate::project::{Project, for_lock, parse, read};
}
pub mod render {
    pub use crate::render::{Header, render, render_single_target};
}
pub mod resolve {
    pub use crate::resolve::environment::marker_environment;
    pub use crate::resolve::target::{PythonMinor, System};
    pub use crate::resolve::{Prefer, ResolveOptions, resolve};
}

/// Where each locked file is, made up offline: every index file at the URL `url_for` gives
/// its file name, with the lock's own sha256 (zeros where the lock has none); path sources
/// where the lock says; git sources unreachable, since their checkouts cannot be hashed offline.
pub struct OfflineLocations {
    files: BTreeMap<(PackageName, String), (String, Sha256)>,
    pinned: BTreeMap<usize, PinnedSource>,
}

impl OfflineLocations {
    pub fn new(lock: &Lock, url_for: impl Fn(&str) -> String) -> Self {
        let mut files = BTreeMap::new();
        for package in &lock.packages {
            for file in &package.files {
                let sha256 = file.sha256().unwrap_or(Sha256::from_bytes([0; 32]));
                files.insert((package.name.clone(), file.filename.clone()), (url_for(&file.filename), sha256));
            }
        }
        let mut pinned = BTreeMap::new();
        for (i, package) in lock.packages.iter().enumerate() {
            let source = match &package.source {
                Source::Directory { path, .. } | Source::File { path } => PinnedSource::Path {
                    path: LocalPath {
                        path: path.clone(),
                        directory: matches!(package.source, Source::Directory { .. }),
                    },
                    build: None,
                    layout: None,
                    requires_dist: None,
                },
                Source::Git { .. } => {
                    PinnedSource::Unreachable { message: "not hashed offline".into(), detail: String::new() }
                }
                _ => continue,
            };
            pinned.insert(i, source);
        }
        Self { files, pinned }
    }
}

impl crate::plan::Locations for OfflineLocations {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(Cow<'_, str>, Option<Sha256>)> {
        self.files.get(&(package.clone(), filename.to_string())).map(|(u, h)| (Cow::Borrowed(u.as_str()), Some(*h)))
    }

    fn pinned(&self, index: usize) -> Option<&PinnedSource> {
        self.pinned.get(&index)
    }
}

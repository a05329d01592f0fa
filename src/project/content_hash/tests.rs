//! The content hash against Poetry's own: the expected hashes were computed by Poetry 2.5.1,
//! 1.8.5 and 1.1.15 (`Locker._get_content_hash` on these pyproject.toml files).

use super::*;

fn doc(text: &str) -> toml::Table {
    toml::from_str(text).unwrap()
}

fn hash(text: &str, rules: Rules) -> String {
    content_hash(&doc(text), rules).unwrap()
}

fn float(x: f64) -> String {
    let mut out = String::new();
    write_float(x, &mut out);
    out
}

#[test]
fn a_vector_worked_out_by_hand() {
    // Only `[tool.poetry]`: its four legacy keys at the top level, sorted, absent ones null,
    // `json.dumps`' `", "` and `": "` separators. The hash is `sha256sum` of that text.
    let text = "[tool.poetry]\nname = \"x\"\nversion = \"1\"\n[tool.poetry.dependencies]\npython = \"^3.9\"\n";
    let json = r#"{"dependencies": {"python": "^3.9"}, "dev-dependencies": null, "extras": null, "source": null}"#;
    for rules in Rules::ALL {
        assert_eq!(relevant_json(&doc(text), rules).unwrap(), json);
        assert_eq!(hash(text, rules), "c595a0588c25d58f3e3834ad7169126836d262b925fe6ca9b5d540dcf301d254");
    }
}

#[test]
fn strings_escape_like_ensure_ascii() {
    let mut out = String::new();
    for text in ["é", "😀", "\u{0}\u{1f}\u{7f}\u{80}", "\u{8}\u{c}\n\r\t\"\\/", "ÿ\u{ffff}"] {
        write_string(text, &mut out);
        out.push(' ');
    }
    // Python: json.dumps([...], ensure_ascii=True).
    assert_eq!(out, r#""\u00e9" "\ud83d\ude00" "\u0000\u001f\u007f\u0080" "\b\f\n\r\t\"\\/" "\u00ff\uffff" "#);
}

#[test]
fn floats_print_like_python_repr() {
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (0.1, "0.1"),
        (1e-4, "0.0001"),
        (1e-5, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (123_456_789_012_345_678.0, "1.2345678901234568e+17"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.300_000_000_000_000_04, "0.30000000000000004"),
        (-12.75, "-12.75"),
        (1e100, "1e+100"),
        (9_007_199_254_740_993.0, "9007199254740992.0"),
        (0.000_123_456, "0.000123456"),
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for (x, python) in cases {
        assert_eq!(float(x), python, "{x:e}");
    }
}

/// Non-ASCII (also beyond the BMP) in keys and values, a source, extras, dev-dependencies.
const LEGACY: &str = r#"
[tool.poetry]
name = "legacy-app"
version = "0.1.0"
description = "Ünïcode is not hashed here"
authors = ["A <a@example.org>"]

[tool.poetry.dependencies]
python = "^3.9"
requests = { version = "^2.31", extras = ["socks"] }
numpy = [
  { version = "<2", python = "<3.12" },
  { version = ">=2", python = ">=3.12" },
]
pywin32 = { version = "306", markers = "sys_platform == \"win32\"", optional = true }
"café" = { path = "vendor/café-😀", develop = true }

[tool.poetry.dev-dependencies]
pytest = "*"

[tool.poetry.extras]
windows = ["pywin32"]

[[tool.poetry.source]]
name = "intérieur"
url = "https://example.org/simple/\u00e9t\u00e9/"
priority = "supplemental"
"#;

/// Groups: hashed from Poetry 1.2 on.
const GROUPS: &str = r#"
[tool.poetry]
name = "grouped"
version = "1.0.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = ">=3.10,<4"
click = "^8"

[tool.poetry.group.dev.dependencies]
ruff = "0.6.9"

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
sphinx = { version = "^7", python = ">=3.11" }
"#;

/// `[project]`: hashed from Poetry 2.0 on, nesting the whole.
const PEP621: &str = r#"
[project]
name = "modern"
version = "2.0.0"
description = "Ein Projekt für Tests — with “quotes”"
requires-python = ">=3.10"
dependencies = [
  "httpx[http2]>=0.27",
  "tomli>=2; python_version < \"3.11\"",
]

[project.optional-dependencies]
cli = ["rich>=13", "typer"]

[tool.poetry]
requires-poetry = ">=2.0"

[tool.poetry.group.test.dependencies]
pytest = "^8"

[[tool.poetry.source]]
name = "private"
url = "https://pypi.example.com/simple/"
priority = "explicit"

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
"#;

/// PEP 735 groups: hashed from Poetry 2.3 on.
const PEP735: &str = r#"
[project]
name = "pep735"
version = "0.3.0"
requires-python = ">=3.9"
dependencies = ["attrs>=23"]

[dependency-groups]
dev = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff"]
"#;

/// `[dependency-groups]` beside `[tool.poetry]` only: from 2.3 on, absent legacy keys go.
const GROUPS_ONLY: &str = r#"
[tool.poetry]
name = "groups-only"
version = "0.1.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
six = "*"

[dependency-groups]
test = ["coverage[toml]"]
"#;

/// Numbers and control characters as Python prints them.
const NUMBERS: &str = r#"
[tool.poetry]
name = "numbers"
version = "0.0.1"
description = ""
authors = []

[tool.poetry.dependencies]
python = "^3.12"
tab = { version = "1", markers = "platform_machine == 'x86_64'\t" }

[tool.poetry.group.dev]
optional = false
weight = 1.5
big = 1e20
bigger = 1.5e16
fixed = 1e15
small = 0.00001
tiny = 1e-7
n = 42
neg = -0.0
count = -9007199254740993
ctl = "a\u0001b\u007fc\"d\\e/"

[tool.poetry.group.dev.dependencies]
mypy = "^1"
"#;

const EMPTY: &str = "[tool.poetry]\nname = \"empty\"\nversion = \"0.0.1\"\ndescription = \"\"\nauthors = []\n";

#[test]
fn hashes_match_poetry_under_each_rules() {
    use Rules::*;
    // (pyproject, [1.1.15, 1.8.5, 2.5.1 without dependency-groups, 2.5.1]) as Poetry computed them.
    let vectors = [
        (LEGACY, ["315af765efe7fc6042a24e3a39f098eb54405ecb0b054a1a7656ca0fee2cccc7"; 4]),
        (
            GROUPS,
            [
                "cb818f0099298f4258e63cfaa5bfb610c185fe95f169d6ec2d3e33e279b46adc",
                "64b1efeefe562cc12cb8d88cf8802acd0ad8326e307c79a146b742d1f56f2556",
                "64b1efeefe562cc12cb8d88cf8802acd0ad8326e307c79a146b742d1f56f2556",
                "64b1efeefe562cc12cb8d88cf8802acd0ad8326e307c79a146b742d1f56f2556",
            ],
        ),
        (
            PEP621,
            [
                "6426f2e33f86d55b80a15b1feb84dc0ba5e91db50c582de1cbad2c2a36d4926f",
                "d8874ffb7418e691868bba604d610cb0e8383c944b3d327a9fa32c430409e4e5",
                "d90fba5c08883cac05a449fbba066faa2ecd88a33326fd6659bbe8f1f79af3d6",
                "d90fba5c08883cac05a449fbba066faa2ecd88a33326fd6659bbe8f1f79af3d6",
            ],
        ),
        (
            GROUPS_ONLY,
            [
                "1b762626410e55c45723fba90400e238319b0b1d1b528e6b290787fb83315758",
                "1b762626410e55c45723fba90400e238319b0b1d1b528e6b290787fb83315758",
                "1b762626410e55c45723fba90400e238319b0b1d1b528e6b290787fb83315758",
                "51a4f2198e11c048a6e13a0ae6a578131e23ce62a97d33853f06351dd32829ff",
            ],
        ),
        (
            NUMBERS,
            [
                "33d3182c4f4aa1c26d98e611cfc7ffd369b8ce5c1b61126004f0ae0a71fa53a9",
                "c8ce22026359d610a84d1c13b8e01ed4324477ffffb0e6733b8a2541016f5285",
                "c8ce22026359d610a84d1c13b8e01ed4324477ffffb0e6733b8a2541016f5285",
                "c8ce22026359d610a84d1c13b8e01ed4324477ffffb0e6733b8a2541016f5285",
            ],
        ),
        (EMPTY, ["115cf985d932e9bf5f540555bbdd75decbb62cac81e399375fc19f6277f8c1d8"; 4]),
    ];
    for (text, expected) in vectors {
        let name = text.lines().find_map(|l| l.strip_prefix("name = ")).unwrap();
        for (rules, expected) in [Poetry1_0, Poetry1_2, Poetry2_0, Poetry2_3].into_iter().zip(expected) {
            assert_eq!(
                hash(text, rules),
                expected,
                "{name} under {rules:?}: {}",
                relevant_json(&doc(text), rules).unwrap()
            );
        }
    }
    // Poetry 1.x cannot read a pyproject without [tool.poetry]; 2.5.1:
    assert_eq!(hash(PEP735, Poetry2_0), "8f89ab0464518b8ae5030a255122e203f951ee8aaa653b170269f887b9047b30");
    assert_eq!(hash(PEP735, Poetry2_3), "8c0c237b4b5469319f7707f5e54b5252e361d034439db785725bced0ccd24b03");
}

#[test]
fn a_date_among_the_hashed_values_cannot_be_hashed() {
    // Poetry 2.5.1 and 1.8.5: "TypeError: Object of type date is not JSON serializable";
    // Poetry 1.1, which does not hash groups, hashes it.
    let text = "[tool.poetry]\nname = \"d\"\n[tool.poetry.dependencies]\npython = \"^3.12\"\n[tool.poetry.group.dev]\nsince = 2024-01-02\n[tool.poetry.group.dev.dependencies]\nmypy = \"^1\"\n";
    let hashes = ContentHashes::of(&doc(text));
    assert_eq!(hashes.get(Rules::Poetry2_3), Err(&HashError::Datetime { key: "group.dev.since".into() }));
    assert!(hashes.get(Rules::Poetry1_0).is_ok());
    assert_eq!(hashes.freshness(&"a".repeat(64), None), Freshness::Unknown);
}

#[test]
fn rules_follow_the_poetry_that_wrote_the_lock() {
    let of = |v: &str| Rules::of(&v.parse().unwrap());
    assert_eq!(
        ["1.1.15", "1.2.0", "1.8.5", "2.0.0", "2.2.1", "2.3.0", "2.5.1"].map(of),
        [
            Rules::Poetry1_0,
            Rules::Poetry1_2,
            Rules::Poetry1_2,
            Rules::Poetry2_0,
            Rules::Poetry2_0,
            Rules::Poetry2_3,
            Rules::Poetry2_3
        ]
    );
}

#[test]
fn freshness_accepts_what_poetry_accepts() {
    let version = |v: &str| -> Version { v.parse().unwrap() };
    let pep735 = ContentHashes::of(&doc(PEP735));
    let now = pep735.get(Rules::Poetry2_3).unwrap().to_string();
    let before_2_3 = pep735.get(Rules::Poetry2_0).unwrap().to_string();
    assert_eq!(pep735.freshness(&now, Some(&version("2.5.1"))), Freshness::Fresh);
    // Compared as Poetry does, byte for byte.
    assert!(matches!(pep735.freshness(&now.to_uppercase(), None), Freshness::Stale { .. }));
    // Poetry 2.3 on accepts the hash without [dependency-groups] from a lock written before 2.3.
    assert_eq!(pep735.freshness(&before_2_3, Some(&version("2.2.1"))), Freshness::Fresh);
    assert_eq!(
        pep735.freshness(&before_2_3, None),
        Freshness::Stale { recorded: before_2_3.clone(), expected: now.clone() }
    );
    assert_eq!(
        pep735.freshness(&before_2_3, Some(&version("2.3.0"))),
        Freshness::Stale { recorded: before_2_3, expected: now }
    );

    // Poetry 1.8 does not read [project]: its lock stays fresh for it.
    let pep621 = ContentHashes::of(&doc(PEP621));
    let poetry_1_8 = pep621.get(Rules::Poetry1_2).unwrap().to_string();
    assert_eq!(pep621.freshness(&poetry_1_8, Some(&version("1.8.5"))), Freshness::Fresh);
    assert!(matches!(pep621.freshness(&poetry_1_8, Some(&version("2.0.1"))), Freshness::Stale { .. }));

    // Placeholders (hand-written locks) are not compared.
    assert_eq!(pep621.freshness("0", None), Freshness::Unknown);
    assert_eq!(pep621.freshness("", None), Freshness::Unknown);
}

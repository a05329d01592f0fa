//! File digests as the lock, the index and the cache give them: read from hex once, kept as
//! bytes. A lock of 10,000 packages holds 137,000 of them; as strings they were that many
//! allocations and 11 MB, and every Nix hash was decoded from hex again.

use std::fmt;

use base64::Engine as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// An algorithm by its name, in any case (`SHA256` and `sha256` name the same one).
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Md5, Self::Sha1, Self::Sha224, Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|algorithm| algorithm.as_str().eq_ignore_ascii_case(name))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The length of its digests, in bytes.
    fn len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// Whether `text` is all hex digits (either case). Without a branch per byte: digests are
/// random, so `is_ascii_hexdigit`'s branches mispredict on every other digit (a lock has
/// thousands of digests).
pub(crate) fn is_hex(text: &str) -> bool {
    text.bytes().fold(true, |all, b| all & ((b.wrapping_sub(b'0') < 10) | ((b | 0x20).wrapping_sub(b'a') < 6)))
}

/// Fills `out` from `hex` (either case), which must have exactly two digits per byte.
fn decode_hex(hex: &str, out: &mut [u8]) -> bool {
    if hex.len() != 2 * out.len() || !is_hex(hex) {
        return false;
    }
    // A checked digit's value without a branch: letters (either case) have bit 6 set.
    let nibble = |c: u8| (c & 0xf) + 9 * (c >> 6);
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *byte = nibble(pair[0]) << 4 | nibble(pair[1]);
    }
    true
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

/// A sha256 digest: what names a file's content to Nix, the index and the cache.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// 64 hex digits, in either case.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0; 32];
        decode_hex(hex, &mut bytes).then_some(Self(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Lower-case hex.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// Nix's SRI form, `sha256-<base64>`.
    pub fn sri(&self) -> String {
        self.sri_text().as_str().to_string()
    }

    /// [`Self::sri`] without an allocation: every planned download writes one.
    pub fn sri_text(&self) -> SriText {
        let mut text = [0; SRI_LEN];
        text[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(self.0, &mut text[PREFIX.len()..])
            .expect("32 bytes are 44 base64 characters");
        debug_assert_eq!(PREFIX.len() + written, SRI_LEN);
        SriText(text)
    }
}

const PREFIX: &str = "sha256-";
/// `sha256-` and the 44 base64 characters of 32 bytes.
const SRI_LEN: usize = PREFIX.len() + 44;

/// A sha256 in Nix's SRI form ([`Sha256::sri_text`]).
pub struct SriText([u8; SRI_LEN]);

impl SriText {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("base64 is ASCII")
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

/// A digest of a file in any of the algorithms a lock may record, shown as
/// `algorithm:lowercase-hex`: a sha256 inline (nearly every hash a lock holds), others boxed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileHash {
    Sha256(Sha256),
    Other(HashAlgorithm, Box<[u8]>),
}

impl FileHash {
    /// Parses `sha256:abcd…`: a known algorithm, and as many hex digits (either case) as its
    /// digests have.
    pub fn parse(text: &str) -> Option<Self> {
        // A byte search: a large lock has 140,000 of them.
        let colon = memchr::memchr(b':', text.as_bytes())?;
        let (name, hex) = (&text[..colon], &text[colon + 1..]);
        Self::from_hex(HashAlgorithm::parse(name)?, hex)
    }

    /// The digest `hex` (either case) in `algorithm`.
    pub fn from_hex(algorithm: HashAlgorithm, hex: &str) -> Option<Self> {
        if algorithm == HashAlgorithm::Sha256 {
            return Sha256::from_hex(hex).map(Self::Sha256);
        }
        let mut bytes = vec![0; algorithm.len()];
        decode_hex(hex, &mut bytes).then(|| Self::Other(algorithm, bytes.into_boxed_slice()))
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        match self {
            Self::Sha256(_) => HashAlgorithm::Sha256,
            Self::Other(algorithm, _) => *algorithm,
        }
    }

    pub fn sha256(&self) -> Option<Sha256> {
        match self {
            Self::Sha256(sha256) => Some(*sha256),
            Self::Other(..) => None,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(sha256) => &sha256.0,
            Self::Other(_, bytes) => bytes,
        }
    }

    /// Lower-case hex of the digest.
    pub fn hex(&self) -> String {
        hex(self.bytes())
    }

    /// Whether `hex` (either case) spells this digest.
    pub fn is_spelled(&self, hex: &str) -> bool {
        let mut bytes = vec![0; self.bytes().len()];
        decode_hex(hex, &mut bytes) && bytes == self.bytes()
    }
}

impl From<Sha256> for FileHash {
    fn from(sha256: Sha256) -> Self {
        Self::Sha256(sha256)
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm().as_str(), self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIX: &str = "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926";

    #[test]
    fn hashes_are_read_in_any_case_and_shown_lower_case() {
        let hash = FileHash::parse(&format!("SHA256:{}", SIX.to_ascii_uppercase())).unwrap();
        assert_eq!((hash.algorithm(), hash.hex()), (HashAlgorithm::Sha256, SIX.to_string()));
        assert_eq!(hash.to_string(), format!("sha256:{SIX}"));
        assert_eq!(hash.sha256(), Sha256::from_hex(SIX));
        let md5 = FileHash::parse("Md5:00ff00ff00ff00ff00ff00ff00ff00FF").unwrap();
        assert_eq!((md5.algorithm(), md5.hex(), md5.sha256()), (HashAlgorithm::Md5, "00ff".repeat(8), None));
    }

    #[test]
    fn a_digest_of_another_length_than_its_algorithms_is_unreadable() {
        let short = &SIX[..62];
        for unreadable in ["sha256", "sha256:", "sha256:xyz", "sha3:ab", ":ab", "sha256 :ab", "md5:ff"] {
            assert_eq!(FileHash::parse(unreadable), None, "{unreadable}");
        }
        for unreadable in [format!("sha256:{short}"), format!("sha256:{SIX}0"), format!("sha512:{SIX}")] {
            assert_eq!(FileHash::parse(&unreadable), None, "{unreadable}");
        }
    }

    #[test]
    fn a_digest_is_spelled_by_its_hex_in_either_case_only() {
        let hash = FileHash::parse(&format!("sha256:{SIX}")).unwrap();
        assert!(hash.is_spelled(SIX) && hash.is_spelled(&SIX.to_ascii_uppercase()));
        assert!(!hash.is_spelled(&SIX[1..]) && !hash.is_spelled(&format!("0{}", &SIX[1..])));
    }

    #[test]
    fn a_sha256_in_nix_sri_form_read_from_hex_in_either_case() {
        let hex = "70a23985f2dac6b3dfea6e7865fdff9f919f71a506d5f45dbc7085d79ade9a23";
        let sri = "sha256-cKI5hfLaxrPf6m54Zf3/n5GfcaUG1fRdvHCF15remiM=";
        assert_eq!(Sha256::from_hex(hex).map(|s| s.sri()).as_deref(), Some(sri));
        assert_eq!(Sha256::from_hex(&hex.to_ascii_uppercase()).map(|s| s.sri()).as_deref(), Some(sri));
        assert_eq!(Sha256::from_hex(&hex[1..]), None);
        assert_eq!(Sha256::from_hex(&format!("{}g", &hex[1..])), None);
    }

    #[test]
    fn hex_digits_are_those_of_the_standard_library() {
        for byte in 0..=u8::MAX {
            let text = [b'0', byte, b'F'];
            let expected = byte.is_ascii_hexdigit();
            assert_eq!(std::str::from_utf8(&text).map(is_hex).unwrap_or(false), expected, "{byte:#x}");
        }
        assert!(is_hex("") && is_hex("0123456789abcdefABCDEF") && !is_hex("abc\u{e9}"));
    }
}

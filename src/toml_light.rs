//! A TOML document read into a light tree and deserialized from it, tried first for every
//! document (`toml_error::from_str`). The toml crate builds a tree of spanned values in maps
//! before serde sees a value, and that tree is most of what reading a lock costs; this
//! reader takes the events of the toml crate's own parser (`toml_parser`, which checks the
//! grammar and decodes strings and keys) into vectors of borrowed strings.
//!
//! It reads the shapes locks are written in: tables and arrays of tables whose parents are
//! already defined, inline tables, arrays, strings, integers and booleans. On anything else it
//! gives up (`None`): a syntax error, a dotted key, a key or table defined twice, a header it
//! cannot place, a date-time, a float that a field asks for. The caller then parses the text
//! with the toml crate, which also words the error, so a document means the same either way.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::{EventReceiver, ValidateWhitespace, parse_document};
use toml_parser::{ErrorSink, ParseError, Raw, Source, Span};

/// How deep arrays and inline tables may nest (a lock's go three deep): deserializing and
/// dropping the tree recurse, and the limit keeps them far from the end of the stack.
const MAX_DEPTH: usize = 32;

/// `text` deserialized into `T`, or `None` when this reader cannot vouch for the result.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let source = Source::new(text);
    // Room for a token every other byte: the lexer's own guess (two in seven) suits manifests,
    // and a lock's pieces, whose files are lifted out first, outgrew it once each (a copy of
    // every piece's tokens).
    let mut tokens = Vec::with_capacity(text.len() / 2);
    tokens.extend(source.lex());
    let mut builder = Builder::new(source);
    let mut error: Option<ParseError> = None;
    // Comments and whitespace checked as the toml crate checks them.
    parse_document(&tokens, &mut ValidateWhitespace::new(&mut builder, source), &mut error);
    let complete = builder.stack.is_empty() && builder.key.is_none() && builder.header.is_none();
    if error.is_some() || builder.failed || !complete {
        return None;
    }
    T::deserialize(Value::Table(builder.root)).ok()
}

#[derive(Debug)]
enum Value<'a> {
    String(Cow<'a, str>),
    Integer(i64),
    Boolean(bool),
    /// A float, or an integer too large: no field read this way takes one.
    Other,
    Array(Vec<Self>),
    Table(Table<'a>),
    /// An array of tables (`[[package]]`), whose last table later headers may extend.
    Tables(Vec<Table<'a>>),
}

#[derive(Debug)]
struct Table<'a> {
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
    /// Where each key is, once the table has [`INDEXED_FROM`] entries: a linear search per
    /// new key made a 10,000-dependency pyproject.toml table quadratic (20 ms).
    index: Option<FxHashMap<Cow<'a, str>, usize>>,
    /// Written inline (`{ … }`): no header may add to it.
    inline: bool,
}

/// The size from which a table keeps an index of its keys.
const INDEXED_FROM: usize = 32;

impl<'a> Table<'a> {
    fn new(inline: bool) -> Self {
        Self { entries: Vec::new(), index: None, inline }
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    /// Adds `key`; `false` when the table already has it.
    fn insert(&mut self, key: Cow<'a, str>, value: Value<'a>) -> bool {
        if self.position(&key).is_some() {
            return false;
        }
        self.push(key, value);
        true
    }

    /// Adds `key`, which the table does not have.
    fn push(&mut self, key: Cow<'a, str>, value: Value<'a>) {
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() >= INDEXED_FROM {
            self.index = Some(self.entries.iter().enumerate().map(|(at, (key, _))| (key.clone(), at)).collect());
        }
    }

    /// The table `value` holds, for a header to descend into: an array of tables' last one.
    fn open<'t>(value: &'t mut Value<'a>) -> Option<&'t mut Self> {
        match value {
            Value::Table(table) if !table.inline => Some(table),
            Value::Tables(tables) => tables.last_mut(),
            _ => None,
        }
    }
}

/// An array or inline table being read, with an inline table's key awaiting its value.
enum Open<'a> {
    Array(Vec<Value<'a>>),
    Inline(Table<'a>, Option<Cow<'a, str>>),
}

struct Builder<'a> {
    source: Source<'a>,
    root: Table<'a>,
    /// The table key/values go to, as entry positions from the root.
    current: Vec<usize>,
    /// The header being read (its keys), and whether it opens an array table.
    header: Option<(Vec<Cow<'a, str>>, bool)>,
    /// Arrays and inline tables being read, innermost last.
    stack: Vec<Open<'a>>,
    /// The key of the key/value being read at table level.
    key: Option<Cow<'a, str>>,
    failed: bool,
}

impl<'a> Builder<'a> {
    fn new(source: Source<'a>) -> Self {
        Self {
            source,
            root: Table::new(false),
            current: Vec::new(),
            header: None,
            stack: Vec::new(),
            key: None,
            failed: false,
        }
    }

    fn raw(&self, span: Span, kind: Option<Encoding>) -> Raw<'a> {
        let text = self.source.input().get(span.start()..span.end()).unwrap_or("");
        Raw::new_unchecked(text, kind, span)
    }

    fn open_header(&mut self, array: bool) {
        if self.header.is_some() || !self.stack.is_empty() || self.key.is_some() {
            self.failed = true;
        }
        self.header = Some((Vec::new(), array));
    }

    fn close_header(&mut self) {
        let placed = self.header.take().and_then(|(keys, array)| self.place(&keys, array));
        match placed {
            Some(path) => self.current = path,
            None => self.failed = true,
        }
    }

    /// Adds the table a header names and returns where it is; `None` when its parents are not
    /// tables defined already, or it exists (other than as an array of tables, for `[[…]]`).
    fn place(&mut self, keys: &[Cow<'a, str>], array: bool) -> Option<Vec<usize>> {
        let (last, parents) = keys.split_last()?;
        let mut path = Vec::with_capacity(keys.len());
        let mut table = &mut self.root;
        for key in parents {
            let at = table.position(key)?;
            path.push(at);
            table = Table::open(&mut table.entries[at].1)?;
        }
        match (table.position(last), array) {
            (None, _) => {
                path.push(table.entries.len());
                let new = Table::new(false);
                table.push(last.clone(), if array { Value::Tables(vec![new]) } else { Value::Table(new) });
            }
            (Some(at), true) => {
                let Value::Tables(tables) = &mut table.entries[at].1 else { return None };
                tables.push(Table::new(false));
                path.push(at);
            }
            (Some(_), false) => return None,
        }
        Some(path)
    }

    fn current_table(&mut self) -> Option<&mut Table<'a>> {
        let mut table = &mut self.root;
        for &at in &self.current {
            table = Table::open(&mut table.entries.get_mut(at)?.1)?;
        }
        Some(table)
    }

    /// A complete value: into the array or inline table being read, else the current table.
    fn value(&mut self, value: Value<'a>) {
        let added = match self.stack.last_mut() {
            Some(Open::Array(items)) => {
                items.push(value);
                true
            }
            Some(Open::Inline(table, key)) => key.take().is_some_and(|key| table.insert(key, value)),
            None => match self.key.take() {
                Some(key) => self.current_table().is_some_and(|table| table.insert(key, value)),
                None => false,
            },
        };
        self.failed |= !added;
    }

    fn open(&mut self, open: Open<'a>) -> bool {
        if self.stack.len() >= MAX_DEPTH {
            self.failed = true;
            return false;
        }
        self.stack.push(open);
        true
    }
}

impl EventReceiver for Builder<'_> {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open_header(false);
    }

    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header();
    }

    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open_header(true);
    }

    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header();
    }

    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(Open::Inline(Table::new(true), None))
    }

    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        match self.stack.pop() {
            Some(Open::Inline(table, None)) => self.value(Value::Table(table)),
            _ => self.failed = true,
        }
    }

    fn array_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(Open::Array(Vec::new()))
    }

    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        match self.stack.pop() {
            Some(Open::Array(items)) => self.value(Value::Array(items)),
            _ => self.failed = true,
        }
    }

    fn simple_key(&mut self, span: Span, kind: Option<Encoding>, error: &mut dyn ErrorSink) {
        let mut key = Cow::Borrowed("");
        self.raw(span, kind).decode_key(&mut key, error);
        let slot = match (&mut self.header, self.stack.last_mut()) {
            (Some((keys, _)), _) => {
                keys.push(key);
                return;
            }
            (None, Some(Open::Inline(_, slot))) => slot,
            (None, Some(Open::Array(_))) => {
                self.failed = true;
                return;
            }
            (None, None) => &mut self.key,
        };
        // A second key before the value: a dotted key.
        self.failed |= slot.replace(key).is_some();
    }

    fn key_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        // Dotted keys define tables implicitly, which this reader leaves to the toml crate.
        self.failed |= self.header.is_none();
    }

    fn scalar(&mut self, span: Span, kind: Option<Encoding>, error: &mut dyn ErrorSink) {
        let raw = self.raw(span, kind);
        if kind == Some(Encoding::BasicString)
            && let Some(text) = plain_basic_string(raw.as_str())
        {
            self.value(Value::String(Cow::Borrowed(text)));
            return;
        }
        let mut text = Cow::Borrowed("");
        let value = match raw.decode_scalar(&mut text, error) {
            ScalarKind::String => Value::String(text),
            ScalarKind::Boolean(value) => Value::Boolean(value),
            ScalarKind::Integer(radix) => match i64::from_str_radix(&text, radix.value()) {
                Ok(value) => Value::Integer(value),
                Err(_) => Value::Other,
            },
            ScalarKind::Float => Value::Other,
            // Its text is checked only when the toml crate reads it: no lock holds one.
            ScalarKind::DateTime => {
                self.failed = true;
                return;
            }
        };
        self.value(value);
    }

    fn error(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.failed = true;
    }
}

/// The bytes a basic string holds as written: TOML's `basic-unescaped` (no quote, backslash,
/// control character or DEL) and the tab.
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        plain[byte] = matches!(byte, 0x09 | 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff);
        byte += 1;
    }
    plain
};

/// The text of a basic string (`"…"`) that has nothing to decode, as the strings of a lock
/// (names, versions, file names, digests) are. The decoder checks and copies byte by byte;
/// this is one pass without a branch per byte. `None` sends the string through the decoder.
fn plain_basic_string(raw: &str) -> Option<&str> {
    let text = raw.strip_prefix('"')?.strip_suffix('"')?;
    text.bytes().fold(true, |plain, b| plain & PLAIN[usize::from(b)]).then_some(text)
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::String(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Value::String(Cow::Owned(text)) => visitor.visit_string(text),
            Value::Integer(value) => visitor.visit_i64(value),
            Value::Boolean(value) => visitor.visit_bool(value),
            Value::Other => Err(de::Error::custom("a float or a large integer")),
            Value::Array(items) => visit_seq(visitor, items.into_iter()),
            Value::Tables(tables) => visit_seq(visitor, tables.into_iter().map(Value::Table)),
            Value::Table(table) => {
                let mut map = MapDeserializer::new(table.entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &str,
        _variants: &[&str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("an enum: left to the toml crate"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn visit_seq<'de, V: Visitor<'de>>(visitor: V, items: impl Iterator<Item = Value<'de>>) -> Result<V::Value, Error> {
    let mut seq = SeqDeserializer::new(items);
    let value = visitor.visit_seq(&mut seq)?;
    seq.end()?;
    Ok(value)
}

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests;

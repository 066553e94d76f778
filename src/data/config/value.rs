//! The data model of a config level: configobj [`Value`]s (a string or a comma list) in
//! insertion-ordered [`Table`]s, like the Python dicts dvc keeps its config in, and dvc's
//! recursive [`merge`] of levels.

use super::error::py_repr;

/// A configobj value: a string, or a list (an unquoted `a, b` on read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A single string.
    Str(String),
    /// A comma list.
    List(Vec<String>),
}

impl Value {
    /// The string, if this is not a list.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::List(_) => None,
        }
    }

    /// How dvc prints it (`str()` of the Python value: a list prints as `['a', 'b']`).
    pub fn display(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(|i| py_repr(i)).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    /// Falsy as Python sees it: an empty string or list.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
        }
    }
}

/// An entry of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A scalar or list.
    Value(Value),
    /// A nested section.
    Table(Table),
}

/// An insertion-ordered map, like the Python dicts dvc keeps its config in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub(super) entries: Vec<(String, Item)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }
    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Item)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Look up an entry.
    pub fn get(&self, key: &str) -> Option<&Item> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Mutable lookup.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Item> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    /// True when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Insert; an existing key keeps its position (Python dict semantics).
    pub fn insert(&mut self, key: impl Into<String>, item: Item) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = item,
            None => self.entries.push((key, item)),
        }
    }
    /// Remove and return an entry.
    pub fn remove(&mut self, key: &str) -> Option<Item> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }
    /// A nested table.
    pub fn table(&self, key: &str) -> Option<&Table> {
        match self.get(key) {
            Some(Item::Table(t)) => Some(t),
            _ => None,
        }
    }
    /// A nested table, created (appended) when missing or not a table.
    pub fn table_mut(&mut self, key: &str) -> &mut Table {
        let pos = match self.entries.iter().position(|(k, _)| k == key) {
            Some(p) => p,
            None => {
                self.entries
                    .push((key.to_string(), Item::Table(Table::new())));
                self.entries.len() - 1
            }
        };
        let slot = &mut self.entries[pos].1;
        if !matches!(slot, Item::Table(_)) {
            *slot = Item::Table(Table::new());
        }
        let Item::Table(t) = slot else {
            unreachable!("holds because a table was stored in this slot just above")
        };
        t
    }
    /// A scalar value.
    pub fn value(&self, key: &str) -> Option<&Value> {
        match self.get(key) {
            Some(Item::Value(v)) => Some(v),
            _ => None,
        }
    }
    /// A string value (not a list).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_str)
    }
    /// Set a string value.
    pub fn set_str(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert(key, Item::Value(Value::Str(value.into())));
    }
}

/// dvc's `merge`: recursive, later values win, tables merge key by key.
pub fn merge(into: &mut Table, update: &Table) {
    for (key, val) in update.iter() {
        match (into.get_mut(key), val) {
            (Some(Item::Table(dst)), Item::Table(src)) => merge(dst, src),
            _ => into.insert(key, val.clone()),
        }
    }
}

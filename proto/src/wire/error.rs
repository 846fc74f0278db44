//! Why bytes are not a valid message. Every variant means the *sender* is at fault: a peer
//! that publishes such bytes gets its message rejected (gossip `Reject`) and its score lowered.

/// A decoding failure, naming the field involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A gossip payload whose first byte is no kind its topic carries (`None`: empty).
    #[error("no message kind with tag {tag:?} on this topic")]
    UnknownKind {
        /// The tag byte, if there was one.
        tag: Option<u8>,
    },
    /// More bytes than the message type allows (checked before parsing).
    #[error("{got} bytes exceed the {max}-byte limit of this message type")]
    TooLarge {
        /// Bytes received.
        got: usize,
        /// The type's limit.
        max: usize,
    },
    /// Not protobuf of this message type.
    #[error("not a valid protobuf message: {0}")]
    Protobuf(String),
    /// A required field is absent.
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    /// A fixed-size byte field has the wrong length.
    #[error("field `{field}` has {got} bytes, expected {want}")]
    Length {
        /// The field.
        field: &'static str,
        /// Bytes given.
        got: usize,
        /// Bytes expected.
        want: usize,
    },
    /// A value is outside its allowed range.
    #[error("field `{field}` is out of range: {why}")]
    Range {
        /// The field.
        field: &'static str,
        /// The allowed range.
        why: &'static str,
    },
    /// A list is not strictly ascending (its canonical order), or has duplicates.
    #[error("field `{0}` is not strictly ascending")]
    Unsorted(&'static str),
    /// The bytes decode, but are not the canonical encoding of what they decode to
    /// (unknown fields, default values written out, fields out of order, …).
    #[error("the encoding is not canonical")]
    NonCanonical,
}

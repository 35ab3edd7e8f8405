import Foundation

/// A token count read from a provider's usage object.
///
/// Counts must be whole numbers that fit in an `Int`; a fraction, a string or a number too large
/// for an `Int` makes the whole usage unreadable, and the reader estimates instead of
/// trusting part of it. Negative and absurd whole numbers are read as they are: the Gateway bounds
/// them by what the request could have used (see `UsageCheck`).
enum UsageCount {
    struct Unreadable: Error {}

    /// The count under `key`: `nil` when absent (or JSON `null`), thrown when not a whole number.
    static func read(_ key: String, in object: [String: Any]) throws(Unreadable) -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let count = value as? Int else { throw Unreadable() }
        return count
    }
}

import Foundation

/// An explicit style an operator or user picks (`/persona friendly`, `:persona professional`); it
/// overrides the personality learned from the user's messages.
public enum Persona: String, Sendable, Hashable, CaseIterable, Codable {
    case professional, friendly, casual, helpful

    /// The instruction added to the system prompt.
    public var styleInstruction: String {
        switch self {
        case .professional:
            "Answer in a professional, precise tone: complete sentences, no slang, no emoji, structure long answers with short headings or lists."
        case .friendly:
            "Answer warmly and encouragingly, as a friendly colleague would; a light touch of humour is welcome, but stay accurate."
        case .casual:
            "Answer casually and briefly, like a chat with a friend; plain words, contractions, short paragraphs."
        case .helpful:
            "Answer as a patient helper: explain step by step, check the user's goal, and end with a concrete next step."
        }
    }

    /// Parses a persona name, ignoring case and surrounding spaces; `nil` when unknown.
    public init?(name: String) {
        self.init(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased())
    }
}

import Foundation

/// The seed's five traits, each 0…1, learned from a person's messages.
public struct PersonalityTraits: Sendable, Hashable, Codable {
    public var extraversion: Double
    public var agreeableness: Double
    public var formality: Double
    public var humour: Double
    public var empathy: Double

    /// Where every profile starts: the middle.
    public static let neutral = PersonalityTraits(extraversion: 0.5, agreeableness: 0.5, formality: 0.5, humour: 0.5, empathy: 0.5)

    public init(extraversion: Double, agreeableness: Double, formality: Double, humour: Double, empathy: Double) {
        self.extraversion = extraversion
        self.agreeableness = agreeableness
        self.formality = formality
        self.humour = humour
        self.empathy = empathy
    }

    init(_ dictionary: [String: Double]) {
        let n = Self.neutral
        self.init(
            extraversion: dictionary["extraversion"] ?? n.extraversion, agreeableness: dictionary["agreeableness"] ?? n.agreeableness,
            formality: dictionary["formality"] ?? n.formality, humour: dictionary["humour"] ?? n.humour, empathy: dictionary["empathy"] ?? n.empathy)
    }

    var dictionary: [String: Double] {
        ["extraversion": extraversion, "agreeableness": agreeableness, "formality": formality, "humour": humour, "empathy": empathy]
    }
}

/// Estimates traits from one message and blends them into a profile slowly, then turns a profile
/// into style instructions for the system prompt.
///
/// The signals are plain and explainable: exclamation marks, emoji and enthusiasm words for
/// extraversion; please/thanks and kind words for agreeableness; long words, full sentences and no
/// slang for formality; laughter and jokes for humour; feeling words for empathy.
public enum PersonalityEngine {
    /// Weight of one message: about the last twenty messages shape a profile.
    public static let learningRate = 0.15
    /// A trait this far from the middle changes the style.
    static let noticeable = 0.15

    static let slang: Set<String> = Set(["lol", "lmao", "gonna", "wanna", "gotta", "ya", "yeah", "yep", "nope", "dude", "bro", "omg", "btw", "idk", "u", "ur", "pls", "plz", "thx", "tbh", "imo", "kinda", "sorta", "cool", "awesome", "sup", "hey", "yo", "haha", "hehe", "lit", "nah"])
    static let polite: Set<String> = Set(["please", "thank", "thanks", "appreciate", "kindly", "grateful", "sorry", "welcome", "great", "wonderful", "lovely", "helpful"])
    static let laughter: Set<String> = Set(["haha", "hahaha", "lol", "lmao", "rofl", "hehe", "joke", "funny", "kidding", "😂", "🤣", "😄", "😆", "😜"])
    static let feelings: Set<String> = Set(["feel", "feeling", "felt", "sad", "happy", "worried", "anxious", "stressed", "tired", "lonely", "upset", "excited", "afraid", "scared", "hurt", "love", "miss", "frustrated", "overwhelmed"])
    static let enthusiasm: Set<String> = Set(["amazing", "awesome", "love", "excited", "wow", "great", "fantastic", "super", "yay", "incredible"])

    /// The traits one message suggests.
    public static func observe(_ message: String) -> PersonalityTraits {
        let words = message.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init)
        let count = max(1, words.count)
        let emoji = message.unicodeScalars.filter { $0.properties.isEmojiPresentation || ($0.value >= 0x1F300 && $0.value <= 0x1FAFF) }.count
        let exclamations = message.filter { $0 == "!" }.count
        let slangShare = Double(words.filter(slang.contains).count) / Double(count)
        let longWords = Double(words.filter { $0.count >= 8 }.count) / Double(count)
        let sentences = message.split(whereSeparator: { ".!?".contains($0) }).count
        let capitalised = message.first?.isUppercase ?? false
        let endsWell = message.trimmingCharacters(in: .whitespacesAndNewlines).last.map { ".?".contains($0) } ?? false

        func clamp(_ value: Double) -> Double { min(1, max(0, value)) }
        let laughs = words.filter(laughter.contains).count + message.unicodeScalars.filter { ["😂", "🤣", "😄", "😆", "😜"].contains(Character($0)) }.count
        return PersonalityTraits(
            extraversion: clamp(0.35 + 0.12 * Double(exclamations) + 0.1 * Double(emoji) + 0.15 * Double(words.filter(enthusiasm.contains).count)),
            agreeableness: clamp(0.45 + 0.2 * Double(words.filter(polite.contains).count)),
            formality: clamp(0.45 + 1.2 * longWords + (capitalised ? 0.1 : -0.1) + (endsWell ? 0.1 : -0.05) + (count > 25 && sentences >= 2 ? 0.15 : 0) - 2.0 * slangShare - 0.08 * Double(emoji)),
            humour: clamp(0.3 + 0.25 * Double(laughs)),
            empathy: clamp(0.35 + 0.2 * Double(words.filter(feelings.contains).count)))
    }

    /// `profile` moved a step towards what `message` suggests.
    public static func update(_ profile: PersonalityTraits, with message: String) -> PersonalityTraits {
        let seen = observe(message)
        func blend(_ old: Double, _ new: Double) -> Double { old + learningRate * (new - old) }
        return PersonalityTraits(
            extraversion: blend(profile.extraversion, seen.extraversion), agreeableness: blend(profile.agreeableness, seen.agreeableness),
            formality: blend(profile.formality, seen.formality), humour: blend(profile.humour, seen.humour), empathy: blend(profile.empathy, seen.empathy))
    }

    /// Style instructions for a profile; `nil` when every trait is near the middle.
    public static func instructions(for traits: PersonalityTraits) -> String? {
        var parts: [String] = []
        func side(_ value: Double, high: String, low: String) {
            if value >= 0.5 + noticeable { parts.append(high) } else if value <= 0.5 - noticeable { parts.append(low) }
        }
        side(traits.formality, high: "Write formally and precisely: complete sentences, no slang, no emoji.", low: "Write casually and briefly, like a chat between friends; contractions and a light emoji are fine.")
        side(traits.extraversion, high: "Match the user's energy: be upbeat and expressive.", low: "Keep a calm, reserved tone.")
        side(traits.agreeableness, high: "Be warm and encouraging.", low: "Be direct and to the point.")
        side(traits.humour, high: "A little playful humour is welcome.", low: "Stay serious; avoid jokes.")
        side(traits.empathy, high: "Acknowledge the user's feelings before answering.", low: "Focus on facts rather than feelings.")
        return parts.isEmpty ? nil : "Adapt your style to this user: " + parts.joined(separator: " ")
    }
}

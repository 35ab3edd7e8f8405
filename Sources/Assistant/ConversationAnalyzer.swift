import Foundation

/// The seed's conversation analytics: sentiment per message, the conversation's phase and topic.
public enum ConversationAnalyzer {
    /// Sentiment values kept per conversation (newest last).
    public static let trendLength = 20

    static let positive: Set<String> = Set(["good", "great", "thanks", "thank", "love", "like", "awesome", "excellent", "happy", "nice", "perfect", "amazing", "helpful", "wonderful", "glad", "cool", "fantastic", "works", "solved", "хорошо", "спасибо", "отлично", "gracias", "bien", "genial", "👍", "😊", "😀", "❤️", "🎉"])
    static let negative: Set<String> = Set(["bad", "terrible", "hate", "awful", "broken", "wrong", "error", "fail", "failed", "sad", "angry", "annoying", "worse", "worst", "bug", "problem", "issue", "crash", "slow", "плохо", "ошибка", "mal", "error", "👎", "😞", "😡", "😢"])
    static let stopwords: Set<String> = Set(["the", "a", "an", "and", "or", "but", "is", "are", "was", "were", "be", "to", "of", "in", "on", "for", "with", "it", "this", "that", "i", "you", "me", "my", "your", "we", "do", "does", "did", "can", "could", "would", "should", "what", "how", "why", "when", "where", "which", "who", "about", "please", "thanks", "thank", "hi", "hello", "hey", "is", "im", "i'm", "it's", "its", "have", "has", "just", "so", "not", "no", "yes", "if", "then", "there", "some", "any", "from", "at", "by", "as", "are", "will", "like", "get", "got", "know", "want", "need", "use", "make"])

    /// −1 (negative) … +1 (positive), from a small multilingual word list and emoji.
    public static func sentiment(of text: String) -> Double {
        let words = tokens(text)
        let score = words.reduce(0) { $0 + (positive.contains($1) ? 1 : 0) - (negative.contains($1) ? 1 : 0) }
        return max(-1, min(1, Double(score) / 3))
    }

    /// `greeting`, `exploring`, `problem solving` or `closing`, from the newest message and the count.
    public static func phase(latest: String, messageCount: Int) -> String {
        let words = Set(tokens(latest))
        if !words.isDisjoint(with: ["bye", "goodbye", "thanks", "thank", "cheers", "пока", "adiós"]) && messageCount > 2 { return "closing" }
        if messageCount <= 2 && !words.isDisjoint(with: ["hi", "hello", "hey", "привет", "hola", "morning"]) { return "greeting" }
        if !words.isDisjoint(with: ["error", "bug", "fix", "broken", "problem", "issue", "crash", "fails", "help", "how", "why"]) { return "problem solving" }
        return "exploring"
    }

    /// The most frequent meaningful word of recent user messages (the topic, as a keyword).
    public static func topic(of recentUserMessages: [String]) -> String {
        var counts: [String: Int] = [:]
        for message in recentUserMessages {
            for word in tokens(message) where word.count >= 4 && !stopwords.contains(word) && !word.allSatisfy(\.isNumber) {
                counts[word, default: 0] += 1
            }
        }
        return counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
    }

    static func tokens(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" && !($0.unicodeScalars.first?.properties.isEmoji ?? false) }.map(String.init)
    }
}

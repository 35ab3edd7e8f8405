import Synchronization

/// Scrubs secrets from text that leaves the process or reaches storage: log lines, error-log rows,
/// events for the console, error messages shown to people.
///
/// Every configured secret is registered once it is known (API keys, the bot token, the webhook
/// secret, the master key) and replaced wherever it appears — including when an upstream echoes
/// it back (a 401 quoting `Bearer <key>`, a proxy page quoting `/bot<token>/getMe`). Bot-token
/// shapes are scrubbed even when not configured. The redactor is process-wide, like the logging
/// system it serves: every module reaches it without being handed it.
public final class Redactor: Sendable {
    /// The process's redactor.
    public static let shared = Redactor()

    /// What a secret is replaced with.
    public static let mask = "[redacted]"
    /// Shorter values are not scrubbed (they would mask ordinary words); validation refuses
    /// secrets that short where it can.
    static let shortest = 6

    private let secrets = Mutex<[String]>([])

    public init() {}

    /// Adds secrets to scrub (and their percent-encoded forms, as they appear in URLs).
    public func register(_ values: some Sequence<String>) {
        let forms = values.filter { $0.utf8.count >= Self.shortest }.flatMap { [$0, Self.percentEncoded($0)] }
        secrets.withLock { secrets in
            for form in forms where !secrets.contains(form) { secrets.append(form) }
            // Longest first, so a secret containing another is masked whole.
            secrets.sort { $0.utf8.count > $1.utf8.count }
        }
    }

    /// Adds the secrets of `settings`.
    public func register(_ settings: Settings) {
        register(settings.secretValues)
    }

    /// `text` with every registered secret and every bot token replaced by ``mask``.
    public func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets.withLock({ $0 }) where result.contains(secret) {
            result = result.replacing(secret, with: Self.mask)
        }
        return Self.scrubBotTokens(result)
    }

    /// Telegram bot tokens (`123456789:AA…`, 35 characters after the colon) wherever they stand.
    static func scrubBotTokens(_ text: String) -> String {
        guard text.contains(":") else { return text }
        return text.replacing(/[0-9]{6,12}:[A-Za-z0-9_-]{30,}/, with: mask)
    }

    private static func percentEncoded(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~".contains(character) {
                encoded.append(character)
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

extension Settings {
    /// Every secret value configured: provider keys, the bot token, the webhook secret, the master key.
    public var secretValues: [String] {
        (providers.compactMap(\.apiKey) + [telegram.token, telegram.webhookSecret, masterKey].compactMap { $0 }).map(\.value)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

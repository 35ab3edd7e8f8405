import Configuration
import Foundation
import Logging

/// Typed reads over a `ConfigReader`: each bad value becomes an error naming the variable and what
/// was expected, and the default is used in its place.
struct ValueReader {
    let reader: ConfigReader
    var report: ConfigReport

    /// The raw value, trimmed; `nil` when unset or empty.
    func string(_ variable: ConfigVariable) -> String? {
        string(named: variable.name, secret: variable.isSecret)
    }

    func string(named name: String, secret: Bool = false) -> String? {
        guard let raw = reader.string(forKey: ConfigKey([name]), isSecret: secret) else { return nil }
        let trimmed = String(raw.trimmingWhitespace())
        return trimmed.isEmpty ? nil : trimmed
    }

    func secret(_ variable: ConfigVariable) -> Secret? {
        string(variable).map(Secret.init)
    }

    func secret(named name: String) -> Secret? {
        string(named: name, secret: true).map(Secret.init)
    }

    mutating func bool(_ variable: ConfigVariable) -> Bool {
        let fallback = Self.parseBool(variable.defaultValue) ?? false
        guard let text = string(variable) else { return fallback }
        guard let value = Self.parseBool(text) else {
            report.error(variable.name, "expected true or false (also yes/no, on/off, 1/0), got '\(text)'")
            return fallback
        }
        return value
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// A non-negative amount of US dollars.
    mutating func usd(_ variable: ConfigVariable) -> Double {
        let fallback = Double(variable.defaultValue) ?? 0
        guard let text = string(variable) else { return fallback }
        guard let value = Self.plainDecimal(text.hasPrefix("$") ? String(text.dropFirst()) : text) else {
            report.error(variable.name, "expected an amount in USD such as \(variable.defaultValue), got '\(text)'")
            return fallback
        }
        guard value >= 0 else {
            report.error(variable.name, "expected an amount of 0 or more USD, got \(text)")
            return fallback
        }
        return value
    }

    /// `text` as a plain decimal number: Double also reads 0x10 (16), 1e3 and inf, which no one
    /// means as dollars.
    static func plainDecimal(_ text: String) -> Double? {
        guard text.wholeMatch(of: /-?[0-9]*\.?[0-9]+|-?[0-9]+\./) != nil, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `NAME_PRICES`: `model=INPUT/OUTPUT` in USD per million tokens, or `model=free`,
    /// comma-separated; `*=…` prices every model of the provider.
    mutating func declaredPrices(named name: String) -> [String: DeclaredPrice] {
        guard let text = string(named: name) else { return [:] }
        var prices: [String: DeclaredPrice] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingWhitespace() }) where !item.isEmpty {
            // Model ids may hold "/" (meta-llama/…): the model is what comes before the last "=".
            guard let equals = item.lastIndex(of: "=") else {
                report.error(name, "expected model=INPUT/OUTPUT (USD per million tokens) or model=free, got '\(item)'")
                continue
            }
            let model = String(item[..<equals].trimmingWhitespace())
            let price = String(item[item.index(after: equals)...].trimmingWhitespace())
            let parts = price.split(separator: "/", omittingEmptySubsequences: false).map { Self.plainDecimal(String($0.trimmingWhitespace())) }
            if model.isEmpty {
                report.error(name, "'\(item)' names no model (use * for every model)")
            } else if price.lowercased() == "free" {
                prices[model] = .free
            } else if parts.count == 2, let input = parts[0], let output = parts[1], input >= 0, output >= 0 {
                prices[model] = DeclaredPrice(inputPerMillion: input, outputPerMillion: output)
            } else {
                report.error(name, "the price of '\(model)' should be INPUT/OUTPUT in USD per million tokens (such as 0.59/0.79) or free, got '\(price)'")
            }
        }
        return prices
    }

    /// A non-negative whole number of seconds.
    mutating func seconds(_ variable: ConfigVariable) -> Int {
        wholeNumber(variable, unit: "seconds")
    }

    /// A whole number of seconds, at least 1 (a timeout of 0 would fail every request).
    mutating func positiveSeconds(_ variable: ConfigVariable) -> Int {
        positive(variable, unit: "seconds")
    }

    /// The recent-message window: 20 to 50 messages, as the seed guide describes.
    mutating func memoryWindow(_ variable: ConfigVariable) -> Int {
        let value = wholeNumber(variable, unit: "messages")
        guard (20...50).contains(value) else {
            report.error(variable.name, "expected 20 to 50 messages, got \(value)")
            return Int(variable.defaultValue) ?? 30
        }
        return value
    }

    /// A non-negative whole number of `unit`.
    mutating func wholeNumber(_ variable: ConfigVariable, unit: String) -> Int {
        let fallback = Int(variable.defaultValue) ?? 0
        guard let text = string(variable) else { return fallback }
        guard let value = Int(text) else {
            report.error(variable.name, "expected a whole number of \(unit) such as \(variable.defaultValue), got '\(text)'")
            return fallback
        }
        guard value >= 0 else {
            report.error(variable.name, "expected 0 or more \(unit), got \(text)")
            return fallback
        }
        return value
    }

    /// A whole number of `unit`, at least 1.
    mutating func positive(_ variable: ConfigVariable, unit: String) -> Int {
        let value = wholeNumber(variable, unit: unit)
        guard value == 0 else { return value }
        report.error(variable.name, "expected at least 1 \(unit.hasSuffix("s") ? String(unit.dropLast()) : unit), got 0")
        return Int(variable.defaultValue) ?? 1
    }

    /// An http(s) URL with a host; a trailing slash is dropped.
    mutating func url(_ variable: ConfigVariable) -> String {
        url(named: variable.name, default: variable.defaultValue) ?? variable.defaultValue
    }

    mutating func url(named name: String, default fallback: String?) -> String? {
        guard let text = string(named: name) else { return fallback }
        guard Self.isHTTPURL(text) else {
            report.error(name, "expected an http:// or https:// URL with a host, got '\(text)'")
            return fallback
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, !host.contains(" ")
        else { return false }
        return true
    }

    /// `host:port` for a server to listen on.
    mutating func listenAddress(_ variable: ConfigVariable) -> ListenAddress? {
        guard let text = string(variable) else { return nil }
        guard let address = ListenAddress(parsing: text) else {
            report.error(variable.name, "expected host:port such as 127.0.0.1:8080 or 0.0.0.0:8443, got '\(text)'")
            return nil
        }
        return address
    }

    /// Telegram's `secret_token`: 1–256 characters of A-Z, a-z, 0-9, `_` and `-`.
    mutating func webhookSecret(_ variable: ConfigVariable) -> Secret? {
        guard let text = string(variable) else { return nil }
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, text.utf8.count <= 256 else {
            // The value is a secret: say what is wrong with it, never what it is.
            report.error(variable.name, "expected 1–256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for secret_token)")
            return nil
        }
        return Secret(text)
    }

    /// Comma-separated Telegram ids (users are positive, groups negative).
    mutating func ids(_ variable: ConfigVariable) -> [Int64] {
        guard let text = string(variable) else { return [] }
        var ids: [Int64] = []
        for item in text.split(separator: ",").map({ $0.trimmingWhitespace() }) where !item.isEmpty {
            if let id = Int64(item) {
                ids.append(id)
            } else {
                report.error(variable.name, "expected comma-separated numeric Telegram ids such as 12345,-100987, got '\(item)'")
            }
        }
        return ids
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ variable: ConfigVariable, default fallback: T) -> T where T.RawValue == String {
        guard let text = string(variable) else { return fallback }
        guard let value = T(rawValue: text.lowercased()) else {
            let expected = T.allCases.map(\.rawValue).joined(separator: ", ")
            report.error(variable.name, "expected one of \(expected), got '\(text)'")
            return fallback
        }
        return value
    }

    mutating func logLevel(_ variable: ConfigVariable) -> Logger.Level {
        guard let text = string(variable) else { return .info }
        let aliases = ["warn": "warning", "fatal": "critical"]
        let name = text.lowercased()
        guard let level = Logger.Level(rawValue: aliases[name] ?? name) else {
            report.error(variable.name, "expected one of TRACE, DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, got '\(text)'")
            return .info
        }
        return level
    }

    /// The compatible providers declared in `LLM_COMPATIBLE_PROVIDERS`, each from its own variables.
    mutating func compatibleProviders(named names: [String]) -> [ProviderConfiguration] {
        var providers: [ProviderConfiguration] = []
        let reserved = Set(ProviderKind.allCases.map(\.rawValue))
        for name in names {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), name.first?.isLetter == true else {
                report.error(ConfigVariable.compatibleProviders.name, "'\(name)' is not a valid provider name: use letters, digits, - and _, starting with a letter")
                continue
            }
            guard !reserved.contains(name) else {
                report.error(ConfigVariable.compatibleProviders.name, "'\(name)' is a built-in provider; give the compatible provider another name")
                continue
            }
            guard !providers.contains(where: { $0.name == name }) else {
                report.warn(ConfigVariable.compatibleProviders.name, "'\(name)' is listed twice")
                continue
            }
            let prefix = SettingsLoader.variablePrefix(for: name)
            guard let baseURL = url(named: prefix + "_BASE_URL", default: nil) else {
                if string(named: prefix + "_BASE_URL") == nil {
                    report.error(prefix + "_BASE_URL", "not set: the compatible provider '\(name)' needs its base URL (e.g. http://localhost:11434/v1)")
                }
                continue
            }
            let models = (string(named: prefix + "_MODELS") ?? "").split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
            if models.isEmpty {
                report.warn(prefix + "_MODELS", "not set: the router cannot pick models of '\(name)' until they are listed (comma-separated)")
            }
            providers.append(ProviderConfiguration(
                name: name, kind: .openAICompatible, baseURL: baseURL,
                apiKey: secret(named: prefix + "_API_KEY"), apiKeyVariable: prefix + "_API_KEY",
                models: models, prices: declaredPrices(named: prefix + "_PRICES")))
        }
        return providers
    }
}

import Core
import Foundation
public import HTTP

/// A Telegram Bot API failure, decoded from `{"ok": false, "error_code", "description", "parameters"}`
/// or from the transport. Never contains the bot token.
public struct BotAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// 429: wait `retryAfter` seconds.
        case rateLimited = "rate_limited"
        /// 400 "message is not modified": the edit repeated the text; a success in effect.
        case notModified = "not_modified"
        /// 400 "can't parse entities": resend without formatting.
        case cannotParseEntities = "cannot_parse_entities"
        /// 400 "message is too long".
        case messageTooLong = "message_too_long"
        /// 403: the user blocked the bot (or it was removed from the group): stop writing there.
        case forbidden
        /// 409: another instance polls, or a webhook is set.
        case conflict
        /// 401/404: the token is wrong.
        case unauthorized
        /// 400 "group chat was upgraded to a supergroup": use `migrateToChatID`.
        case migrated
        case badRequest = "bad_request"
        case serverError = "server_error"
        /// Could not reach Telegram, or the connection broke.
        case network
        /// An answer that is not the Bot API's.
        case malformed
    }

    public let kind: Kind
    public let code: Int?
    public let message: String
    public let retryAfter: Int?
    public let migrateToChatID: Int64?

    public init(_ kind: Kind, code: Int? = nil, message: String, retryAfter: Int? = nil, migrateToChatID: Int64? = nil) {
        self.kind = kind
        self.code = code
        // A proxy's page may quote the request path, token included.
        self.message = Redactor.shared.scrub(message)
        self.retryAfter = retryAfter
        self.migrateToChatID = migrateToChatID
    }

    public var description: String {
        "telegram \(code.map(String.init) ?? "-") \(kind.rawValue): \(message)" + (retryAfter.map { ", retry after \($0)s" } ?? "")
    }

    /// Maps an error answer.
    static func from(code: Int, description: String, retryAfter: Int?, migrateTo: Int64?) -> BotAPIError {
        let text = description.lowercased()
        let kind: Kind =
            if code == 429 { .rateLimited }
            else if migrateTo != nil { .migrated }
            else if code == 409 { .conflict }
            else if code == 403 { .forbidden }
            else if code == 401 || code == 404 { .unauthorized }
            else if text.contains("message is not modified") { .notModified }
            else if text.contains("can't parse entities") || text.contains("can't find end") { .cannotParseEntities }
            else if text.contains("message is too long") || text.contains("text is too long") { .messageTooLong }
            else if code >= 500 { .serverError }
            else { .badRequest }
        return BotAPIError(kind, code: code, message: description, retryAfter: retryAfter, migrateToChatID: migrateTo)
    }
}

/// The Telegram Bot API over the HTTP module: `{base}/bot{token}/{method}` with JSON bodies.
public struct BotAPI: Sendable {
    let baseURL: String
    let token: String
    let transport: any HTTPTransport

    /// Largest answer read (a getUpdates of 100 updates fits many times over).
    static let maxResponseBytes = 8 << 20

    /// A client for the bot with `token`; `baseURL` defaults to `https://api.telegram.org`.
    public init(baseURL: String, token: String, transport: any HTTPTransport) {
        self.baseURL = baseURL
        self.token = token
        Redactor.shared.register([token])
        self.transport = transport
    }

    struct Envelope<Result: Decodable>: Decodable {
        struct Parameters: Decodable {
            let retry_after: Int?
            let migrate_to_chat_id: Int64?
        }

        let ok: Bool
        let result: Result?
        let error_code: Int?
        let description: String?
        let parameters: Parameters?
    }

    /// Calls `method` with `parameters` (encoded as JSON) and decodes its `result`.
    /// `timeout` is the long-poll wait the request may spend at Telegram, added to the limits.
    public func call<Result: Decodable & Sendable>(_ method: String, _ parameters: [String: any Sendable] = [:], as type: Result.Type = Result.self, longPoll: Duration = .zero) async throws(BotAPIError) -> Result {
        let bytes = try await post(method, parameters, longPoll: longPoll)
        let envelope: Envelope<Result>
        do {
            envelope = try JSONDecoder().decode(Envelope<Result>.self, from: Data(bytes))
        } catch {
            throw Self.notAnAnswer(method, bytes)
        }
        guard envelope.ok, let result = envelope.result else { throw Self.failure(method, envelope) }
        return result
    }

    /// Calls `method` and returns its `result` as JSON text, undecoded: for answers whose parts
    /// are decoded one by one (getUpdates), so that one bad part cannot spoil the others.
    func callForRawResult(_ method: String, _ parameters: [String: any Sendable], longPoll: Duration) async throws(BotAPIError) -> (scan: JSONScan, result: Range<Int>) {
        let bytes = try await post(method, parameters, longPoll: longPoll)
        let scan = JSONScan(bytes)
        if let ok = scan.value(of: "ok"), scan.text(ok) == "true", let result = scan.value(of: "result") {
            return (scan, result)
        }
        guard let envelope = try? JSONDecoder().decode(Envelope<BotAPIDone>.self, from: Data(bytes)), !envelope.ok else {
            throw Self.notAnAnswer(method, bytes)
        }
        throw Self.failure(method, envelope)
    }

    private func post(_ method: String, _ parameters: [String: any Sendable], longPoll: Duration) async throws(BotAPIError) -> [UInt8] {
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: parameters.mapValues { $0 as Any })
        } catch {
            throw BotAPIError(.badRequest, message: "parameters of \(method) are not JSON: \(error)")
        }
        let timeouts = HTTPTimeouts(connect: .seconds(10), firstByte: .seconds(30) + longPoll, idle: .seconds(30), total: .seconds(60) + longPoll)
        let request = HTTPRequest(method: "POST", url: "\(baseURL)/bot\(token)/\(method)", headers: [("Content-Type", "application/json")], body: body, timeouts: timeouts)
        do {
            let response = try await transport.execute(request)
            return try await response.collect(upTo: Self.maxResponseBytes)
        } catch {
            // The transport's message names the host at most, never the path with the token.
            throw BotAPIError(.network, message: "\(method): \(error.message)")
        }
    }

    private static func notAnAnswer(_ method: String, _ bytes: [UInt8]) -> BotAPIError {
        let excerpt = String(decoding: bytes.prefix(120), as: UTF8.self).filter { !$0.isNewline }
        return BotAPIError(.malformed, message: "\(method): not a Bot API answer: \(excerpt.isEmpty ? "an empty body" : excerpt)")
    }

    private static func failure<Result>(_ method: String, _ envelope: Envelope<Result>) -> BotAPIError {
        BotAPIError.from(
            code: envelope.error_code ?? 0, description: envelope.description ?? "\(method) failed",
            retryAfter: envelope.parameters?.retry_after, migrateTo: envelope.parameters?.migrate_to_chat_id)
    }
}

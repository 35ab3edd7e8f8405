import Foundation
import Synchronization

/// A fake model provider on 127.0.0.1 speaking a real wire format, scriptable per request
/// (answer, pacing, usage, faults). See ``FakeLLMScript``.
///
/// - `.openAI`: Chat Completions — SSE chunks with `choices[].delta`, the usage chunk with empty
///   `choices` when `stream_options.include_usage` is set, `data: [DONE]`, `{"error": {…}}` bodies.
/// - `.anthropic`: Messages — `message_start`, `content_block_*`, `message_delta` with cumulative
///   usage, `message_stop`, `ping`, mid-stream `error` events, `{"type": "error", …}` bodies.
public final class FakeLLMServer: Sendable {
    /// The wire format to speak.
    public enum Wire: Sendable {
        case openAI, anthropic
    }

    private let server: FakeHTTPServer
    private let scripts: ScriptQueue
    private let finishes: InstantLog
    public let wire: Wire

    /// The base URL to configure: `…/v1` for OpenAI (as `OPENAI_BASE_URL`), the root for Anthropic.
    public var baseURL: String { wire == .openAI ? server.baseURL + "/v1" : server.baseURL }
    /// Every request received.
    public var requests: [FakeHTTPServer.Request] { server.requests }
    /// When each answer was completely sent, by the last message of its request.
    public var finishedAt: [String: ContinuousClock.Instant] { finishes.all }

    /// Connections accepted.
    public var connectionCount: Int { server.connectionCount }

    /// A server answering with `defaultScript` unless a script was queued.
    public init(_ wire: Wire, defaultScript: FakeLLMScript = FakeLLMScript()) throws {
        let scripts = ScriptQueue(fallback: defaultScript)
        self.scripts = scripts
        self.wire = wire
        let finishes = InstantLog()
        server = try FakeHTTPServer { request, writer in
            let script = scripts.next()
            if FakeLLMServer.answerFault(request, script: script, wire: wire, writer: writer) { return }
            switch wire {
            case .openAI: FakeLLMServer.answerOpenAI(request, script: script, writer: writer)
            case .anthropic: FakeLLMServer.answerAnthropic(request, script: script, writer: writer)
            }
            let asked = ((request.json?["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
            finishes.append(asked, at: .now)
        }
        self.finishes = finishes
    }

    /// Queues scripts for the next requests, in order.
    public func enqueue(_ script: FakeLLMScript...) {
        scripts.append(script)
    }

    /// Stops the server.
    public func stop() { server.stop() }

    /// Answers the faults that happen before any event; returns whether it did.
    static func answerFault(_ request: FakeHTTPServer.Request, script: FakeLLMScript, wire: Wire, writer: ResponseWriter) -> Bool {
        switch script.fault {
        case .status(let status, let type, let message, let retryAfter)?:
            var headers = [("Content-Type", "application/json")]
            if let retryAfter { headers.append(("Retry-After", retryAfter)) }
            writer.respond(status: status, headers: headers, body: errorBody(wire, type: type, message: message))
        case .garbage?:
            writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
            writer.send([0x00, 0xff, 0xfe] + Array("\u{1b}[31m not an event\n\n".utf8))
            writer.send("data: {not json\n\n")
            writer.end()
        case .htmlWith200?:
            writer.respond(status: 200, headers: [("Content-Type", "text/html")], body: "<html><body><h1>Welcome to nginx!</h1></body></html>")
        case .errorWith200(let type, let message)?:
            writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: errorBody(wire, type: type, message: message))
        case .truncatedJSON?:
            if request.json?["stream"] as? Bool == true {
                writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
                writer.send("data: {\"type\":\"content_block_delta\",\"choices\":[{\"delta\":{\"content\":\"Hel\n\n")
                writer.end()
            } else {
                writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: "{\"id\":\"x\",\"content\":[{\"type\":\"te")
            }
        case .stall(0, let duration)?:
            writer.pause(duration)
        case .huge(let bytes)?:
            writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
            let event = Array("data: {\"type\":\"ping\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(String(repeating: "x", count: 900))\"}}]}\n\n".utf8)
            var sent = 0
            while sent < bytes, writer.send(event) { sent += event.count }
            writer.end()
        default:
            return false
        }
        return true
    }

    /// Applies a mid-stream fault before chunk `index`; returns whether the response ended.
    static func midStreamFault(_ script: FakeLLMScript, index: Int, wire: Wire, writer: ResponseWriter) -> Bool {
        switch script.fault {
        case .dropAfter(let count)? where index == count:
            writer.raw(Array("3f\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"cut".utf8))
            writer.drop()
        case .errorEvent(let count, let type, let message)? where index == count:
            switch wire {
            case .openAI:
                writer.send("data: \(jsonString(["error": ["message": message, "type": type, "code": NSNull()]]))\n\n")
            case .anthropic:
                writer.send("event: error\ndata: \(jsonString(["type": "error", "error": ["type": type, "message": message]]))\n\n")
            }
            writer.end()
        case .stall(let count, let duration)? where index == count:
            writer.pause(duration)
        default:
            return false
        }
        return true
    }

    static func errorBody(_ wire: Wire, type: String, message: String) -> String {
        switch wire {
        case .openAI: jsonString(["error": ["message": message, "type": type, "param": NSNull(), "code": type]])
        case .anthropic: jsonString(["type": "error", "error": ["type": type, "message": message]])
        }
    }

    static func answerOpenAI(_ request: FakeHTTPServer.Request, script: FakeLLMScript, writer: ResponseWriter) {
        guard request.method == "POST", request.path == "/v1/chat/completions" else {
            writer.respond(status: 404, headers: [("Content-Type", "application/json")], body: errorBody(.openAI, type: "invalid_request_error", message: "Unknown path \(request.path)"))
            return
        }
        let json = request.json ?? [:]
        let model = json["model"] as? String ?? "unknown"
        let stream = json["stream"] as? Bool ?? false
        let includeUsage = ((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false) && script.includeUsage

        guard stream else {
            var body: [String: Any] = [
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": model,
                "choices": [["index": 0, "message": ["role": "assistant", "content": script.text], "finish_reason": "stop"]],
            ]
            if script.includeUsage { body["usage"] = usageObject(script) }
            writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: withRawUsage(jsonString(body), script))
            return
        }

        writer.head(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        if script.delay > .zero { writer.pause(script.delay) }
        func event(_ object: [String: Any]) -> Bool { writer.send("data: \(jsonString(object))\n\n") }
        func chunk(_ delta: [String: Any], finish: String?) -> [String: Any] {
            var body: [String: Any] = [
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]],
            ]
            if includeUsage { body["usage"] = NSNull() }
            return body
        }
        guard event(chunk(["role": "assistant", "content": ""], finish: nil)) else { return }
        for (index, text) in script.chunks.enumerated() {
            if midStreamFault(script, index: index, wire: .openAI, writer: writer) { return }
            if script.pace > .zero { writer.pause(script.pace) }
            if let hold = script.hold, hold.beforeChunk == index { hold.wait() }
            let isLast = index == script.chunks.count - 1
            // Written by hand: this is the hot path of the benchmarks that share the CPU with the fake.
            let finish = isLast ? "\"stop\"" : "null"
            let usage = includeUsage ? ",\"usage\":null" : ""
            let line = "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\(quoted(model)),\"choices\":[{\"index\":0,\"delta\":{\"content\":\(quoted(text))},\"finish_reason\":\(finish)}]\(usage)}\n\n"
            guard writer.send(line) else { return }
        }
        if includeUsage {
            let usage = jsonString(["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [], "usage": usageObject(script)])
            writer.send("data: \(withRawUsage(usage, script))\n\n")
        }
        writer.send("data: [DONE]\n\n")
        writer.end()
    }

    static func answerAnthropic(_ request: FakeHTTPServer.Request, script: FakeLLMScript, writer: ResponseWriter) {
        guard request.method == "POST", request.path == "/v1/messages" else {
            writer.respond(status: 404, headers: [("Content-Type", "application/json")], body: errorBody(.anthropic, type: "not_found_error", message: "Not found: \(request.path)"))
            return
        }
        guard request.headers["x-api-key"]?.isEmpty == false, request.headers["anthropic-version"] != nil else {
            writer.respond(status: 401, headers: [("Content-Type", "application/json")], body: errorBody(.anthropic, type: "authentication_error", message: "x-api-key header is required"))
            return
        }
        let json = request.json ?? [:]
        let model = json["model"] as? String ?? "unknown"
        // Anthropic counts only the uncached prompt as input_tokens.
        let uncached = max(0, script.promptTokens - script.cachedTokens - script.cacheWriteTokens)
        let usage: [String: Any] = [
            "input_tokens": uncached, "output_tokens": script.outputTokens,
            "cache_read_input_tokens": script.cachedTokens, "cache_creation_input_tokens": script.cacheWriteTokens,
        ]
        guard json["stream"] as? Bool == true else {
            writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: withRawUsage(jsonString([
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [["type": "text", "text": script.text]], "stop_reason": "end_turn", "stop_sequence": NSNull(), "usage": usage,
            ]), script))
            return
        }
        writer.head(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        if script.delay > .zero { writer.pause(script.delay) }
        func event(_ name: String, _ object: [String: Any]) -> Bool {
            writer.send("event: \(name)\ndata: \(jsonString(object))\n\n")
        }
        let start: [String: Any] = [
            "type": "message_start",
            "message": [
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": NSNull(), "stop_sequence": NSNull(),
                "usage": ["input_tokens": uncached, "output_tokens": 1, "cache_read_input_tokens": script.cachedTokens, "cache_creation_input_tokens": script.cacheWriteTokens],
            ],
        ]
        guard event("message_start", start),
            event("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]),
            event("ping", ["type": "ping"])
        else { return }
        for (index, text) in script.chunks.enumerated() {
            if midStreamFault(script, index: index, wire: .anthropic, writer: writer) { return }
            if script.pace > .zero { writer.pause(script.pace) }
            if let hold = script.hold, hold.beforeChunk == index { hold.wait() }
            guard writer.send("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\(quoted(text))}}\n\n") else { return }
        }
        _ = event("content_block_stop", ["type": "content_block_stop", "index": 0])
        // Cumulative usage, sent in two message_delta events: the last value is the one to keep.
        var partial = usage
        partial["output_tokens"] = max(1, script.outputTokens / 2)
        _ = event("message_delta", ["type": "message_delta", "delta": ["stop_reason": NSNull(), "stop_sequence": NSNull()], "usage": ["output_tokens": partial["output_tokens"] ?? 0]])
        if let raw = script.rawUsage {
            writer.send("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":\(raw)}\n\n")
        } else {
            _ = event("message_delta", ["type": "message_delta", "delta": ["stop_reason": "end_turn", "stop_sequence": NSNull()], "usage": ["output_tokens": script.outputTokens]])
        }
        _ = event("message_stop", ["type": "message_stop"])
        writer.end()
    }

    /// `json` with its `usage` object replaced by the script's raw one, if it has one.
    static func withRawUsage(_ json: String, _ script: FakeLLMScript) -> String {
        guard let raw = script.rawUsage, let start = json.range(of: "\"usage\":") else { return json }
        // The usage object is the only value in these bodies that holds a nested object after it.
        var depth = 0
        var end = start.upperBound
        for index in json[start.upperBound...].indices {
            let character = json[index]
            if character == "{" { depth += 1 }
            if character == "}" {
                depth -= 1
                if depth == 0 {
                    end = json.index(after: index)
                    break
                }
            }
        }
        return json.replacingCharacters(in: start.upperBound..<end, with: raw)
    }

    static func usageObject(_ script: FakeLLMScript) -> [String: Any] {
        [
            "prompt_tokens": script.promptTokens, "completion_tokens": script.outputTokens,
            "total_tokens": script.promptTokens + script.outputTokens,
            "prompt_tokens_details": ["cached_tokens": script.cachedTokens],
        ]
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func jsonString(_ object: Any) -> String {
        // Unsorted: sorting keys costs more than the rest of the fake together (benchmarks share the CPU).
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Scripts waiting for requests, shared between a fake and its connection threads.
final class ScriptQueue: Sendable {
    private let queue = Mutex<[FakeLLMScript]>([])
    private let fallback: FakeLLMScript

    init(fallback: FakeLLMScript) { self.fallback = fallback }

    func append(_ scripts: [FakeLLMScript]) { queue.withLock { $0 += scripts } }

    func next() -> FakeLLMScript { queue.withLock { $0.isEmpty ? fallback : $0.removeFirst() } }
}

/// Instants recorded from the server's connection threads, by a key.
final class InstantLog: Sendable {
    private let instants = Mutex<[String: ContinuousClock.Instant]>([:])

    func append(_ key: String, at instant: ContinuousClock.Instant) { instants.withLock { $0[key] = instant } }
    var all: [String: ContinuousClock.Instant] { instants.withLock { $0 } }
}

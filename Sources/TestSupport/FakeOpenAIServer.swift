import Foundation
import Synchronization

/// A fake OpenAI Chat Completions server on 127.0.0.1, speaking the real wire format: SSE chunks
/// with `choices[].delta`, the usage chunk with empty `choices` when `stream_options.include_usage`
/// is set, `data: [DONE]`, and the `{"error": {…}}` body on failures.
public final class FakeOpenAIServer: Sendable {
    private let server: FakeHTTPServer
    private let scripts: ScriptQueue

    /// The base URL to configure (`…/v1`).
    public var baseURL: String { server.baseURL + "/v1" }
    /// Every request received.
    public var requests: [FakeHTTPServer.Request] { server.requests }
    /// Connections accepted.
    public var connectionCount: Int { server.connectionCount }

    /// A server answering with `defaultScript` unless a script was queued.
    public init(defaultScript: FakeLLMScript = FakeLLMScript()) throws {
        let scripts = ScriptQueue(fallback: defaultScript)
        self.scripts = scripts
        server = try FakeHTTPServer { request, writer in
            FakeOpenAIServer.answer(request, script: scripts.next(), writer: writer)
        }
    }

    /// Queues scripts for the next requests, in order.
    public func enqueue(_ script: FakeLLMScript...) {
        scripts.append(script)
    }

    /// Stops the server.
    public func stop() { server.stop() }

    static func answer(_ request: FakeHTTPServer.Request, script: FakeLLMScript, writer: ResponseWriter) {
        guard request.method == "POST", request.path == "/v1/chat/completions" else {
            writer.respond(status: 404, headers: [("Content-Type", "application/json")], body: errorBody(type: "invalid_request_error", message: "Unknown path \(request.path)", code: "unknown_url"))
            return
        }
        let json = request.json ?? [:]
        let model = json["model"] as? String ?? "unknown"
        let stream = json["stream"] as? Bool ?? false
        let includeUsage = ((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false) && script.includeUsage

        switch script.fault {
        case .status(let status, let type, let message, let retryAfter)?:
            var headers = [("Content-Type", "application/json")]
            if let retryAfter { headers.append(("Retry-After", retryAfter)) }
            writer.respond(status: status, headers: headers, body: errorBody(type: type, message: message, code: type))
            return
        case .garbage?:
            writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
            writer.send([0x00, 0xff, 0xfe] + Array("\u{1b}[31m not an event\n\n".utf8))
            writer.send("data: {not json\n\n")
            writer.end()
            return
        case .htmlWith200?:
            writer.respond(status: 200, headers: [("Content-Type", "text/html")], body: "<html><body><h1>Welcome to nginx!</h1></body></html>")
            return
        case .stall(0, let duration)?:
            writer.pause(duration)
            return
        case .huge(let bytes)?:
            writer.head(status: 200, headers: [("Content-Type", "text/event-stream")])
            let event = Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(String(repeating: "x", count: 900))\"}}]}\n\n".utf8)
            var sent = 0
            while sent < bytes, writer.send(event) { sent += event.count }
            writer.drop()
            return
        default:
            break
        }

        guard stream else {
            let usage = script.includeUsage ? usageObject(script) : nil
            var body: [String: Any] = [
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": model,
                "choices": [["index": 0, "message": ["role": "assistant", "content": script.text], "finish_reason": "stop"]],
            ]
            body["usage"] = usage
            writer.respond(status: 200, headers: [("Content-Type", "application/json")], body: jsonString(body))
            return
        }

        writer.head(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
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
            switch script.fault {
            case .dropAfter(let count)? where index == count:
                writer.raw(Array("3f\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"cut".utf8))
                writer.drop()
                return
            case .errorEvent(let count, let type, let message)? where index == count:
                _ = writer.send("data: \(jsonString(["error": ["message": message, "type": type, "code": NSNull()]]))\n\n")
                writer.end()
                return
            case .stall(let count, let duration)? where index == count:
                writer.pause(duration)
                return
            default:
                break
            }
            if script.pace > .zero { writer.pause(script.pace) }
            let isLast = index == script.chunks.count - 1
            guard event(chunk(["content": text], finish: isLast ? "stop" : nil)) else { return }
        }
        if includeUsage {
            _ = event(["id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [], "usage": usageObject(script)])
        }
        writer.send("data: [DONE]\n\n")
        writer.end()
    }

    static func usageObject(_ script: FakeLLMScript) -> [String: Any] {
        [
            "prompt_tokens": script.promptTokens, "completion_tokens": script.outputTokens,
            "total_tokens": script.promptTokens + script.outputTokens,
            "prompt_tokens_details": ["cached_tokens": script.cachedTokens],
        ]
    }

    static func errorBody(type: String, message: String, code: String?) -> String {
        jsonString(["error": ["message": message, "type": type, "param": NSNull(), "code": code.map { $0 as Any } ?? NSNull()]])
    }

    static func jsonString(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
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

/// An incremental parser for `text/event-stream` (the WHATWG Server-Sent Events format).
///
/// Feed it byte chunks exactly as the network delivers them: a chunk may end anywhere, inside a
/// field name, between `\r` and `\n`, or inside a multi-byte UTF-8 character. Lines end with `\n`,
/// `\r\n` or `\r`; lines starting with `:` are comments; a blank line dispatches the event. Unlike
/// a browser, ``finish()`` also delivers a last event that has no blank line after it, since
/// providers' final events sometimes arrive that way before the connection closes.
public struct SSEParser: Sendable {
    private var partialLine: [UInt8] = []
    private var lastWasCarriageReturn = false
    private var atStreamStart = true

    private var eventType: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    private var retry: Int?

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let colon = UInt8(ascii: ":")
    private static let space = UInt8(ascii: " ")
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A parser at the start of a stream.
    public init() {}

    /// Parses the next chunk and returns the events it completed, in order.
    public mutating func parse(_ chunk: some Collection<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        parse(chunk) { events.append($0) }
        return events
    }

    /// Parses the next chunk, calling `onEvent` for each completed event (no intermediate array).
    public mutating func parse(_ chunk: some Collection<UInt8>, onEvent: (ServerSentEvent) -> Void) {
        let handled: Void? = chunk.withContiguousStorageIfAvailable { bytes in
            parseBytes(bytes, onEvent: onEvent)
        }
        if handled == nil {
            Array(chunk).withUnsafeBufferPointer { parseBytes($0, onEvent: onEvent) }
        }
    }

    /// Ends the stream: an unterminated last line and a pending event are delivered.
    public mutating func finish() -> ServerSentEvent? {
        var last: ServerSentEvent?
        if !partialLine.isEmpty {
            let line = partialLine
            partialLine.removeAll()
            line.withUnsafeBufferPointer { process(line: $0[...]) { last = $0 } }
        }
        if last == nil { dispatch { last = $0 } }
        lastWasCarriageReturn = false
        return last
    }

    private mutating func parseBytes(_ bytes: UnsafeBufferPointer<UInt8>, onEvent: (ServerSentEvent) -> Void) {
        var start = 0
        let count = bytes.count
        if lastWasCarriageReturn, count > 0 {
            lastWasCarriageReturn = false
            if bytes[0] == Self.lineFeed { start = 1 }
        }
        var index = start
        while index < count {
            let byte = bytes[index]
            guard byte == Self.lineFeed || byte == Self.carriageReturn else {
                index += 1
                continue
            }
            if partialLine.isEmpty {
                process(line: bytes[start..<index], onEvent: onEvent)
            } else {
                partialLine.append(contentsOf: bytes[start..<index])
                let line = partialLine
                partialLine.removeAll(keepingCapacity: true)
                line.withUnsafeBufferPointer { process(line: $0[...], onEvent: onEvent) }
            }
            if byte == Self.carriageReturn {
                if index + 1 < count {
                    if bytes[index + 1] == Self.lineFeed { index += 1 }
                } else {
                    lastWasCarriageReturn = true
                }
            }
            index += 1
            start = index
        }
        if start < count {
            partialLine.append(contentsOf: bytes[start..<count])
        }
    }

    private mutating func process(line rawLine: Slice<UnsafeBufferPointer<UInt8>>, onEvent: (ServerSentEvent) -> Void) {
        var line = rawLine
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: Self.byteOrderMark) { line = line.dropFirst(Self.byteOrderMark.count) }
        }
        guard let first = line.first else {
            dispatch(onEvent)
            return
        }
        if first == Self.colon { return }
        let field: Slice<UnsafeBufferPointer<UInt8>>
        var value: Slice<UnsafeBufferPointer<UInt8>>
        if let colonIndex = line.firstIndex(of: Self.colon) {
            field = line[line.startIndex..<colonIndex]
            value = line[(colonIndex + 1)...]
            if value.first == Self.space { value = value.dropFirst() }
        } else {
            field = line
            value = line[line.endIndex...]
        }
        switch field.count {
        case 4 where field.elementsEqual("data".utf8):
            if hasData { data.append(Self.lineFeed) }
            data.append(contentsOf: value)
            hasData = true
        case 5 where field.elementsEqual("event".utf8):
            eventType = Array(value)
        case 2 where field.elementsEqual("id".utf8):
            if !value.contains(0) { id = String(decoding: value, as: UTF8.self) }
        case 5 where field.elementsEqual("retry".utf8):
            if !value.isEmpty, value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                retry = Int(String(decoding: value, as: UTF8.self))
            }
        default:
            break  // Unknown fields are ignored, as the format requires.
        }
    }

    private mutating func dispatch(_ onEvent: (ServerSentEvent) -> Void) {
        defer {
            eventType.removeAll(keepingCapacity: true)
            data.removeAll(keepingCapacity: true)
            hasData = false
            retry = nil
        }
        guard hasData else { return }
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        onEvent(ServerSentEvent(event: type, data: String(decoding: data, as: UTF8.self), id: id, retry: retry))
    }
}

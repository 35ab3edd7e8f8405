import Testing

@testable import HTTP

@Suite struct SSEParserTests {
    func parseWhole(_ text: String) -> [ServerSentEvent] {
        var parser = SSEParser()
        var events = parser.parse(Array(text.utf8))
        if let last = parser.finish() { events.append(last) }
        return events
    }

    @Test func parsesOpenAIStyleData() {
        let events = parseWhole("data: {\"a\":1}\n\ndata: [DONE]\n\n")
        #expect(events == [ServerSentEvent(data: "{\"a\":1}"), ServerSentEvent(data: "[DONE]")])
    }

    @Test func parsesAnthropicStyleNamedEventsWithCRLF() {
        let events = parseWhole("event: message_start\r\ndata: {}\r\n\r\nevent: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n")
        #expect(events.map(\.event) == ["message_start", "ping"])
        #expect(events[1].data == "{\"type\": \"ping\"}")
    }

    @Test func joinsMultiLineDataAndIgnoresComments() {
        let events = parseWhole(": keep-alive\ndata: one\ndata:two\ndata\n: another comment\nid: 7\nretry: 1500\n\n")
        #expect(events == [ServerSentEvent(data: "one\ntwo\n", id: "7", retry: 1500)])
    }

    @Test func deliversAFinalEventWithoutATrailingBlankLine() {
        #expect(parseWhole("data: last") == [ServerSentEvent(data: "last")])
        #expect(parseWhole("data: last\n") == [ServerSentEvent(data: "last")])
    }

    @Test func eventsWithoutDataAreNotDispatchedAndBOMIsSkipped() {
        #expect(parseWhole("\u{FEFF}event: x\n\ndata: y\n\n") == [ServerSentEvent(data: "y")])
    }

    @Test func bareCarriageReturnsEndLines() {
        #expect(parseWhole("data: a\r\rdata: b\r\r") == [ServerSentEvent(data: "a"), ServerSentEvent(data: "b")])
    }

    static let stream = "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n: ping\n"
        + "event: content_block_delta\ndata: {\"text\":\"Привет, 世界 👋🏽\"}\n\n"
        + "data: line one\ndata: line two\r\n\r\n" + "data: tail without blank line"

    @Test func splittingTheStreamAtEveryPositionGivesTheSameEvents() {
        let bytes = Array(Self.stream.utf8)
        let expected = parseWhole(Self.stream)
        #expect(expected.count == 4)
        for split in 0...bytes.count {
            var parser = SSEParser()
            var events = parser.parse(bytes[..<split])
            events += parser.parse(bytes[split...])
            if let last = parser.finish() { events.append(last) }
            #expect(events == expected, "split at \(split)")
        }
    }

    @Test func feedingOneByteAtATimeGivesTheSameEvents() {
        let expected = parseWhole(Self.stream)
        var parser = SSEParser()
        var events: [ServerSentEvent] = []
        for byte in Self.stream.utf8 { events += parser.parse([byte]) }
        if let last = parser.finish() { events.append(last) }
        #expect(events == expected)
    }
}

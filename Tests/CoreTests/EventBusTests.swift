import Foundation
import Testing

@testable import Core

@Suite struct EventBusTests {
    func delta(_ n: Int) -> Event {
        .streamDelta(StreamDelta(request: RequestID(rawValue: "r"), conversation: .console, text: "\(n)"))
    }

    func alert(_ text: String) -> Event {
        .alert(Alert(severity: .warning, message: text, at: Date(timeIntervalSince1970: 0)))
    }

    @Test func everySubscriberReceivesEveryEventInOrder() async {
        let bus = EventBus<Int>()
        let first = bus.subscribe()
        let second = bus.subscribe()
        for n in 1...100 { bus.publish(n) }
        first.cancel()
        second.cancel()
        var a: [Int] = [], b: [Int] = []
        for await n in first { a.append(n) }
        for await n in second { b.append(n) }
        #expect(a == Array(1...100))
        #expect(b == Array(1...100))
    }

    @Test func subscribersComingAndGoingKeepReceivingFromTheirStart() async {
        let bus = EventBus<Int>()
        bus.publish(0)  // nobody listens: dropped
        let early = bus.subscribe()
        bus.publish(1)
        early.cancel()
        #expect(bus.subscriberCount == 0)
        bus.publish(2)  // nobody listens again
        let late = bus.subscribe()
        bus.publish(3)
        late.cancel()
        var a: [Int] = [], b: [Int] = []
        for await n in early { a.append(n) }
        for await n in late { b.append(n) }
        #expect(a == [1])
        #expect(b == [3])
    }

    @Test func aWaitingReaderIsWokenByPublish() async {
        let bus = EventBus<Int>()
        let subscription = bus.subscribe()
        async let received: Int? = {
            var iterator = subscription.makeAsyncIterator()
            return await iterator.next()
        }()
        // The reader may or may not be parked yet; either way it must get the value.
        bus.publish(7)
        #expect(await received == 7)
    }

    @Test func aSubscriberThatNeverReadsStaysBoundedAndNeverBlocksThePublisher() {
        let bus = EventBus<Event>()
        let stuck = bus.subscribe(capacity: 64)
        let reader = bus.subscribe(capacity: 1_000_000)
        // publish is synchronous: had it waited for the stuck subscriber, this loop would never end.
        for n in 0..<200_000 { bus.publish(delta(n)) }
        #expect(stuck.bufferedCount == 64)
        #expect(stuck.droppedCount == 200_000 - 64)
        #expect(reader.bufferedCount == 200_000)
        #expect(reader.droppedCount == 0)
        // The stuck subscriber keeps the newest events.
        let kept = stuck.drain()
        if case .streamDelta(let last) = kept.last { #expect(last.text == "199999") } else { Issue.record("no delta kept") }
    }

    @Test func deltasAreDroppedBeforeOtherEvents() {
        let bus = EventBus<Event>()
        let subscription = bus.subscribe(capacity: 3)
        bus.publish(alert("quota at 80 %"))
        bus.publish(delta(1))
        bus.publish(delta(2))
        bus.publish(delta(3))
        bus.publish(alert("quota at 100 %"))
        let kept = subscription.drain()
        #expect(kept.count == 3)
        if case .alert(let first) = kept.first { #expect(first.message == "quota at 80 %") } else { Issue.record("first alert dropped") }
        if case .alert(let last) = kept.last { #expect(last.message == "quota at 100 %") } else { Issue.record("last alert dropped") }
        #expect(subscription.droppedCount == 2)
    }

    @Test func cancellingTheConsumingTaskEndsIterationAndReleasingUnsubscribes() async {
        let bus = EventBus<Int>()
        var subscription: Subscription<Int>? = bus.subscribe()
        let task = Task { [subscription] in
            var count = 0
            for await _ in subscription! { count += 1 }
            return count
        }
        task.cancel()
        #expect(await task.value == 0)
        subscription = nil
        #expect(bus.subscriberCount == 0)
    }
}

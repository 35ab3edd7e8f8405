import Foundation
import Testing

@testable import Core

@Suite struct RequestIDTests {
    @Test func aNewIdentifierIsALowerCaseVersion4UUID() throws {
        for _ in 0..<1_000 {
            let id = RequestID.make().rawValue
            #expect(id == id.lowercased())
            let parsed = try #require(UUID(uuidString: id), "not a UUID: \(id)")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version nibble of \(id)")
            #expect(bytes.8 >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test func identifiersDoNotRepeat() {
        let ids = (0..<20_000).map { _ in RequestID.make() }
        #expect(Set(ids).count == ids.count)
    }

    @Test func identifiersMadeAtOnceDoNotRepeat() async {
        let ids = await withTaskGroup(of: [RequestID].self) { group in
            for _ in 0..<4 { group.addTask { (0..<5_000).map { _ in RequestID.make() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 20_000)
    }

    /// Consecutive identifiers look unrelated (a count through a mixer, not a visible counter):
    /// on average half of the 122 free bits differ between neighbours.
    @Test func consecutiveIdentifiersDifferInAboutHalfTheirBits() throws {
        var differing = 0
        var previous = try #require(UUID(uuidString: RequestID.make().rawValue)).uuid
        for _ in 0..<1_000 {
            let next = try #require(UUID(uuidString: RequestID.make().rawValue)).uuid
            differing += zip(Self.bytes(previous), Self.bytes(next)).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
            previous = next
        }
        #expect((50...72).contains(differing / 1_000), "\(differing / 1_000) bits differ on average")
    }

    static func bytes(_ uuid: uuid_t) -> [UInt8] {
        withUnsafeBytes(of: uuid) { Array($0) }
    }
}

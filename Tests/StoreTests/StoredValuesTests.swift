import Foundation
import GRDB
import Testing

@testable import Store

@Suite struct StoredValuesTests {
    /// Rows written on the request path must compare and read like rows GRDB writes itself.
    @Test func datesAreFormattedExactlyAsGRDBStoresThem() throws {
        var dates = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0.9999), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.999), Date(timeIntervalSince1970: 1_798_761_599.9995),  // 2100-02-28, 2026-12-31
            Date(timeIntervalSinceReferenceDate: 0), Date(),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<5_000_000_000, using: &generator)))
        }
        for date in dates {
            let grdb = try #require(String.fromDatabaseValue(date.databaseValue))
            #expect(StoredValues.text(date) == grdb, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func storedTextReadsBackAsTheSameMillisecond() throws {
        let date = Date(timeIntervalSince1970: 1_764_633_600.123)
        let read = try #require(Date.fromDatabaseValue(StoredValues.value(date)))
        #expect(abs(read.timeIntervalSince1970 - 1_764_633_600.123) < 0.0005)
    }
}

@Suite struct DirectStatementTests {
    @Test func rowsRunDirectlyReadBackThroughGRDBAndTheStatementStaysUsable() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT, b INTEGER, c REAL, d TEXT)")
            let statement = try db.cachedStatement(sql: "INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)")
            try statement.run(["héllo".databaseValue, 42.databaseValue, 0.25.databaseValue, .null], in: db)
            #expect(throws: DatabaseError.self) { try statement.run(["too few".databaseValue], in: db) }
            try statement.execute(arguments: ["through GRDB", 7, 1.5, "x"])
            try statement.run([StoredValues.value(Date(timeIntervalSince1970: 0)), 1.databaseValue, 2.0.databaseValue, "y".databaseValue], in: db)
            try statement.run(["".databaseValue, Int64.max.databaseValue, (-0.5).databaseValue, "emoji 👋🏽 and ∑".databaseValue], in: db)
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT a, b, c, d FROM t ORDER BY rowid") }
        #expect(rows.count == 4)
        let fourth: (a: String?, b: Int64, c: Double, d: String) = (rows[3]["a"], rows[3]["b"], rows[3]["c"], rows[3]["d"])
        #expect(fourth.a == "", "an empty string is stored as an empty string, not NULL")
        #expect(fourth.b == Int64.max && fourth.c == -0.5 && fourth.d == "emoji 👋🏽 and ∑")
        let first: (a: String, b: Int, c: Double, d: String?) = (rows[0]["a"], rows[0]["b"], rows[0]["c"], rows[0]["d"])
        #expect(first.a == "héllo" && first.b == 42 && first.c == 0.25 && first.d == nil)
        let second: (a: String, d: String) = (rows[1]["a"], rows[1]["d"])
        #expect(second.a == "through GRDB" && second.d == "x")
        let date: Date? = rows[2]["a"]
        #expect(date == Date(timeIntervalSince1970: 0))
    }

    /// Text is bound in place: a failed step leaves nothing bound, and strings of every storage
    /// (long, small, bridged from Foundation) are stored byte for byte.
    @Test func aFailedStepThrowsAndTextOfEveryKindIsStoredExactly() throws {
        let queue = try DatabaseQueue()
        let long = String(repeating: "a long answer ✓ ", count: 200)
        let bridged = NSString(string: "bridged from NSString é").description
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT UNIQUE, b TEXT)")
            let statement = try db.cachedStatement(sql: "INSERT INTO t (a, b) VALUES (?, ?)")
            try statement.run(["one".databaseValue, long.databaseValue], in: db)
            #expect(throws: DatabaseError.self) { try statement.run(["one".databaseValue, "duplicate".databaseValue], in: db) }
            try statement.run(["two".databaseValue, bridged.databaseValue], in: db)
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT a, b FROM t ORDER BY rowid") }
        let values: [(String, String)] = rows.map { ($0["a"], $0["b"]) }
        #expect(values.map(\.0) == ["one", "two"])
        #expect(values.first?.1 == long && values.last?.1 == bridged)
    }
}

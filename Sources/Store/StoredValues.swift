import Core
import Foundation
import GRDB
import GRDBSQLite

/// Statement arguments for the writes on every request's path (usage rows, cache entries, error
/// lines), bound without the costs of GRDB's general conversions: no existential boxes or key
/// paths, and dates formatted directly instead of through a `DateFormatter`.
enum StoredValues {
    /// `date` exactly as GRDB stores a `Date` (`yyyy-MM-dd HH:mm:ss.SSS`, UTC, milliseconds
    /// rounded to the nearest), so rows written here and rows written through GRDB compare and read alike.
    static func text(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, dayMillis) = Formatting.floorDivision(millis, 86_400_000)
        let seconds = dayMillis / 1000
        // Written into the string's own storage (one allocation; 23 bytes is too long to be small).
        return String(unsafeUninitializedCapacity: 23) { bytes in
            var index = 0
            func put(_ separator: Unicode.Scalar, _ value: Int64, width: Int) {
                bytes[index] = UInt8(ascii: separator)
                index += 1
                Formatting.writeDigits(value, width: width, into: bytes, at: &index)
            }
            Formatting.writeDay(days, into: bytes, at: &index)
            put(" ", seconds / 3600, width: 2)
            put(":", seconds / 60 % 60, width: 2)
            put(":", seconds % 60, width: 2)
            put(".", dayMillis % 1000, width: 3)
            return index
        }
    }

    /// A date as a database value, in GRDB's format.
    static func value(_ date: Date) -> DatabaseValue { text(date).databaseValue }

    /// A value, or NULL.
    static func value<Value: DatabaseValueConvertible>(_ value: Value?) -> DatabaseValue { value?.databaseValue ?? .null }
}

/// The SQL of `INSERT INTO table (columns) VALUES row, row, …` for one to ``rowsPerStatement`` rows.
///
/// A statement's run has fixed costs (cursors opened and closed, the transaction checked, the
/// rowid sequence read and written) that a row inserted alone pays in full: the write-behind
/// queue's batches insert their rows several a statement.
struct InsertStatements: Sendable {
    static let rowsPerStatement = 8
    /// By row count less one.
    let sql: [String]

    init(table: String, columns: String, row: String) {
        sql = (1...Self.rowsPerStatement).map { count in
            "INSERT INTO \(table) (\(columns)) VALUES " + Array(repeating: row, count: count).joined(separator: ", ")
        }
    }
}

extension SQLiteStore {
    /// Inserts `rows`, up to ``InsertStatements/rowsPerStatement`` a statement; `values` appends
    /// one row's values in column order.
    static func insertRows<Rows: Collection>(
        _ rows: Rows, statements: InsertStatements, in db: Database, values: (Rows.Element, inout [DatabaseValue]) -> Void
    ) throws {
        var bound: [DatabaseValue] = []
        var index = rows.startIndex
        while index != rows.endIndex {
            let end = rows.index(index, offsetBy: InsertStatements.rowsPerStatement, limitedBy: rows.endIndex) ?? rows.endIndex
            bound.removeAll(keepingCapacity: true)
            for row in rows[index..<end] { values(row, &bound) }
            try db.cachedStatement(sql: statements.sql[rows.distance(from: index, to: end) - 1]).run(bound, in: db)
            index = end
        }
    }
}

extension Statement {
    /// SQLite copies the bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Runs this statement (an insert, update or delete) with `values` bound in order, straight
    /// through SQLite: GRDB's argument handling cost more than SQLite's own work for these rows.
    ///
    /// Text is bound in place (`SQLITE_STATIC`), not copied: each string's bytes are bound inside
    /// its own `withUTF8`, the statement steps inside the innermost, and the bindings are cleared
    /// before any of those scopes ends. The statement is reset first and, afterwards, reset with
    /// its bindings cleared, so GRDB and this method can take turns with it.
    func run(_ values: [DatabaseValue], in db: Database) throws {
        let handle = sqliteStatement
        // GRDB resets a statement before it runs it, not after: it may still be at its end.
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters", sql: sql)
        }
        let code = Self.bind(values[...], to: handle)
        guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: sql) }
    }

    /// Binds `values` (the statement's last parameters) and then steps, returning the first
    /// result code that is not `SQLITE_OK`: the step's, or a failed bind's.
    private static func bind(_ values: ArraySlice<DatabaseValue>, to handle: SQLiteStatement) -> CInt {
        guard let value = values.first else {
            let code = sqlite3_step(handle)
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            return code
        }
        let position = CInt(values.startIndex + 1)
        let code: CInt
        switch value.storage {
        case .null: code = sqlite3_bind_null(handle, position)
        case .int64(let integer): code = sqlite3_bind_int64(handle, position, integer)
        case .double(let real): code = sqlite3_bind_double(handle, position, real)
        case .string(var text):
            // An empty buffer may have no address, and a null pointer would bind NULL, not "".
            // (A nil destructor is SQLITE_STATIC: SQLite reads the bytes where they are.)
            return text.withUTF8 { bytes in
                let code =
                    bytes.isEmpty
                    ? sqlite3_bind_text(handle, position, "", 0, transient)
                    : sqlite3_bind_text(handle, position, bytes.baseAddress, CInt(bytes.count), nil)
                return code == SQLITE_OK ? bind(values.dropFirst(), to: handle) : code
            }
        case .blob: code = value.bind(to: handle, at: position)
        }
        return code == SQLITE_OK ? bind(values.dropFirst(), to: handle) : code
    }
}

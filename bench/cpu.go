package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuMeter reads the CPU time used so far by this process (load generator, server and
// driver alike: they share the machine's cores) and, when PostgreSQL runs on this
// machine, by the backends serving the benchmark database. CPU per request does not
// depend on how busy the machine is, so it is a steadier comparison than throughput
// when other work shares the cores.
type cpuMeter struct {
	db      *sql.DB // any connection to the benchmark database
	localPG bool    // whether the backends' /proc entries are ours to read
}

// cpuSample is CPU time used up to a moment.
type cpuSample struct {
	self, pg time.Duration
	pgOK     bool
}

// newCPUMeter returns a meter for the benchmark database at dbURL, reached through db.
func newCPUMeter(db *sql.DB, dbURL string) cpuMeter {
	u, err := url.Parse(dbURL)
	local := false
	if err == nil {
		ip := net.ParseIP(u.Hostname())
		local = u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return cpuMeter{db: db, localPG: local}
}

// sample reads the CPU times now.
func (m cpuMeter) sample(ctx context.Context) cpuSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := cpuSample{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if !m.localPG {
		return s
	}
	rows, err := m.db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		return s
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return s
		}
		t, err := procCPU(pid)
		if err != nil {
			return s // not a process we can see: PostgreSQL is not local after all
		}
		s.pg += t
	}
	s.pgOK = rows.Err() == nil
	return s
}

// procCPU returns the user+system CPU time of PostgreSQL process pid.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ...: utime and stime are the 14th and 15th fields.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || !strings.HasPrefix(s[strings.IndexByte(s, '(')+1:], "postgres") {
		return 0, fmt.Errorf("pid %d is not a PostgreSQL process", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("pid %d: short stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("pid %d: bad stat", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

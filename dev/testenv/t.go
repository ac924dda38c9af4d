package testenv

// T is what testenv, dev/sfnlocal and dev/localbreaker need from a test: to
// stop what they start (Cleanup) and to give up (Fatalf). *testing.T and
// *testing.B satisfy it; dev/localbreaker's Main implements it for the demo, a
// plain program, without faking testing.TB.
type T interface {
	Helper()
	Name() string
	Cleanup(func())
	TempDir() string
	Failed() bool
	Log(args ...any)
	Logf(format string, args ...any)
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

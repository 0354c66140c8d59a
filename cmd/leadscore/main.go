// Command leadscore learns from won and lost leads which leads convert, and
// serves the conversion probability of new leads over gRPC.
//
// Usage:
//
//	leadscore <command> [flags]
//
// Run "leadscore help" for the list of commands and "leadscore <command> -h"
// for the flags of one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand of leadscore.
type command struct {
	name    string // as typed: "gen", "data describe"
	summary string // one line for "leadscore help"
	usage   string // argument synopsis after the name
	// run parses args with fs and does the work; fs is already named and
	// its output goes to stderr.
	run func(ctx context.Context, env *env, fs *flag.FlagSet, args []string) error
}

// env is what a command may use of the process: its output streams and a
// logger. Commands never touch os.Stdout or os.Exit directly, so tests can
// run them in-process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func commands() []command {
	cmds := []command{
		genCommand(),
		importCommand(),
		describeCommand(),
		exportCommand(),
	}
	cmds = append(cmds, laterCommands()...)
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{
		stdout: stdout,
		stderr: stderr,
		log:    slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return helpFor(e, args[1:])
		}
		printHelp(stdout)
		return 0
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(stderr, "leadscore: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printHelp(stderr)
		return 2
	}
	fs := newFlagSet(e, cmd)
	err := cmd.run(ctx, e, fs, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		var ue usageError
		errors.As(err, &ue)
		if !ue.printed { // the flag package has printed its own message and the usage
			fmt.Fprintf(stderr, "leadscore %s: %v\n", cmd.name, err)
			fs.Usage()
		}
		return 2
	default:
		fmt.Fprintf(stderr, "leadscore %s: %v\n", cmd.name, err)
		return 1
	}
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):], true
		}
	}
	return command{}, nil, false
}

func newFlagSet(e *env, c command) *flag.FlagSet {
	fs := flag.NewFlagSet("leadscore "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: leadscore %s %s\n\n%s\n\nflags:\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

func helpFor(e *env, args []string) int {
	c, _, ok := lookup(args)
	if !ok {
		fmt.Fprintf(e.stderr, "leadscore help: unknown command %q\n", strings.Join(args, " "))
		return 2
	}
	fs := newFlagSet(e, c)
	fs.SetOutput(e.stdout)
	_ = c.run(context.Background(), &env{stdout: e.stdout, stderr: e.stdout, log: e.log}, fs, []string{"-h"})
	return 0
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `leadscore learns from historical won and lost leads which leads convert,
and serves the conversion probability of new leads over gRPC.

usage: leadscore <command> [flags]

commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "leadscore <command> -h" for the flags of a command.
`)
}

// usageError marks an error in the command line rather than in the work.
// printed says the flag package has already shown it with the usage.
type usageError struct {
	msg     string
	printed bool
}

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// parse parses flags and rejects positional arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{msg: err.Error(), printed: true}
	}
	if fs.NArg() > want {
		return nil, usagef("unexpected argument %q", fs.Arg(want))
	}
	return fs.Args(), nil
}

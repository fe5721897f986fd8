package dev.privateupstream.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** The gateway's command line run in process, as {@code main} configures it, with its output kept as text. */
final class CapturedCommandLine {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    /** Runs one command line; its exit status. Output adds up across runs until {@link #clear()}. */
    int run(String... args) {
        final CommandLine cli = GatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    void clear() {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
    }
}

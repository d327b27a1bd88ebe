package deploy

import (
	"companyadmin/internal/store/storetest"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"companyadmin/internal/config"
)

// root is the repository's top folder.
const root = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// service is one compose service as the test reads it.
type service struct {
	name        string
	image       string
	build       string
	command     []string
	env         map[string]string
	dependsOn   map[string]string // service → condition
	healthcheck []string
	ports       []string
}

func services(t *testing.T) map[string]service {
	t.Helper()
	doc, err := parseYAML(read(t, "compose.yaml"))
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	raw, ok := doc["services"].(map[string]any)
	if !ok {
		t.Fatal("compose.yaml has no services")
	}
	out := map[string]service{}
	for name, v := range raw {
		m := v.(map[string]any)
		s := service{name: name, env: map[string]string{}, dependsOn: map[string]string{}}
		s.image, _ = m["image"].(string)
		s.build, _ = m["build"].(string)
		s.command = strings_(m["command"])
		if env, ok := m["environment"].(map[string]any); ok {
			for k, v := range env {
				s.env[k] = v.(string)
			}
		}
		if deps, ok := m["depends_on"].(map[string]any); ok {
			for k, v := range deps {
				s.dependsOn[k], _ = v.(map[string]any)["condition"].(string)
			}
		}
		if hc, ok := m["healthcheck"].(map[string]any); ok {
			s.healthcheck = strings_(hc["test"])
		}
		s.ports = strings_(m["ports"])
		out[name] = s
	}
	return out
}

func strings_(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i], _ = x.(string)
	}
	return out
}

// TestCompose checks the stack: a database and a mail catcher, the release
// step that migrates once the database is healthy, then the bot and the
// worker once it has succeeded, each passing only settings the programs
// read, with values they accept, and a health check on /readyz.
func TestCompose(t *testing.T) {
	ss := services(t)
	var names []string
	for n := range ss {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"bot", "mailpit", "mariadb", "release", "worker"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	if !strings.HasPrefix(ss["mariadb"].image, "mariadb:") || !strings.HasPrefix(ss["mailpit"].image, "axllent/mailpit:") {
		t.Errorf("images: mariadb %q, mailpit %q", ss["mariadb"].image, ss["mailpit"].image)
	}
	if len(ss["mariadb"].healthcheck) == 0 {
		t.Error("mariadb has no health check, so the release step cannot wait for it")
	}

	rel := ss["release"]
	if !slices.Equal(rel.command, []string{"companyctl", "migrate"}) || rel.dependsOn["mariadb"] != "service_healthy" {
		t.Errorf("release: command %v, depends on %v", rel.command, rel.dependsOn)
	}
	for _, name := range []string{"release", "bot", "worker"} {
		s := ss[name]
		if s.build != "." || s.image != rel.image {
			t.Errorf("%s: build %q image %q: the three run the one image built here", name, s.build, s.image)
		}
		for k := range s.env {
			if !slices.Contains(config.Variables, k) {
				t.Errorf("%s sets %s, which no program reads", name, k)
			}
		}
		env := map[string]string{}
		for k, v := range s.env {
			// ${VAR:-} passes the shell's value, empty by default.
			if strings.HasPrefix(v, "${"+k+":-") {
				v = ""
			}
			env[k] = v
		}
		load := map[string]func(func(string) string) (config.Config, error){"release": config.Load, "bot": config.LoadBot, "worker": config.LoadWorker}[name]
		cfg, err := load(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(cfg.Warnings) > 0 {
			t.Errorf("%s: %v", name, cfg.Warnings)
		}
		u := storetest.Must2(url.Parse(cfg.DatabaseURL))(t)
		if u.Scheme != "mysql" || u.Hostname() != "mariadb" {
			t.Errorf("%s: DATABASE_URL %q does not name the mariadb service", name, cfg.DatabaseURL)
		}
		if name == "release" {
			continue
		}
		if s.dependsOn["release"] != "service_completed_successfully" {
			t.Errorf("%s starts before the release step has migrated: depends on %v", name, s.dependsOn)
		}
		if !slices.Equal(s.command, []string{name}) {
			t.Errorf("%s runs %v", name, s.command)
		}
		if u := storetest.Must2(url.Parse(cfg.SMTPURL))(t); u == nil || u.Hostname() != "mailpit" || u.Port() != "1025" {
			t.Errorf("%s: SMTP_URL %q does not name mailpit's SMTP port", name, cfg.SMTPURL)
		}
		port := cfg.Port
		if name == "worker" {
			port = cfg.MetricsPort
		}
		probe := []string{"CMD", "companyctl", "probe", "--url", "http://localhost:" + strconv.Itoa(port) + "/readyz"}
		if !slices.Equal(s.healthcheck, probe) {
			t.Errorf("%s health check %v, want %v", name, s.healthcheck, probe)
		}
		if p := strconv.Itoa(port); !slices.Contains(s.ports, p+":"+p) {
			t.Errorf("%s publishes %v, not its port %s", name, s.ports, p)
		}
	}
}

// TestDockerfile checks the image: static binaries of the three commands,
// time zone data compiled in, a distroless base, a user that is not root.
func TestDockerfile(t *testing.T) {
	df := read(t, "Dockerfile")
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 || !strings.HasPrefix(froms[len(froms)-1][1], "gcr.io/distroless/static") {
		t.Errorf("the final stage is %v, want distroless static", froms)
	}
	if !regexp.MustCompile(`(?m)^ENV CGO_ENABLED=0$`).MatchString(df) {
		t.Error("the build does not set CGO_ENABLED=0")
	}
	build := regexp.MustCompile(`(?m)^RUN go build .*$`).FindString(df)
	for _, cmd := range []string{"./cmd/bot", "./cmd/worker", "./cmd/companyctl"} {
		if !strings.Contains(build, cmd) {
			t.Errorf("the build line %q lacks %s", build, cmd)
		}
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(users) == 0 {
		t.Fatal("no USER: the image would run as root")
	}
	if u := strings.Split(users[len(users)-1][1], ":")[0]; u == "root" || u == "0" {
		t.Errorf("USER %s", u)
	}
	cmd := regexp.MustCompile(`(?m)^CMD \["(\w+)"\]`).FindStringSubmatch(df)
	if cmd == nil || cmd[1] != "bot" {
		t.Errorf("default command %v, want bot", cmd)
	}
	// A container has no zoneinfo: each command embeds it.
	for _, name := range []string{"bot", "worker", "companyctl"} {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "cmd", name, "main.go"), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, imp := range f.Imports {
			found = found || imp.Path.Value == `"time/tzdata"`
		}
		if !found {
			t.Errorf("cmd/%s does not import time/tzdata", name)
		}
	}
}

// TestProcfile checks the three process types.
func TestProcfile(t *testing.T) {
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(read(t, "Procfile")), "\n") {
		k, v, _ := strings.Cut(l, ":")
		got[k] = strings.TrimSpace(v)
	}
	want := map[string]string{"release": "companyctl migrate", "web": "bot", "worker": "worker"}
	if len(got) != len(want) {
		t.Errorf("Procfile %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Procfile %s: %q, want %q", k, got[k], v)
		}
	}
}

// TestYAMLSubset makes sure the reader refuses what it does not read.
func TestYAMLSubset(t *testing.T) {
	for _, src := range []string{"a: &x 1\n", "a:\n  b: 1\n    c: 2\n", "a: 1\na: 2\n", "a:\n", "a: 'x'\n", "a: |\n  x\n"} {
		if _, err := parseYAML(src); err == nil {
			t.Errorf("parseYAML(%q) accepted it", src)
		}
	}
	m, err := parseYAML("a:\n  b: \"x y\"\n  c:\n    - \"1:1\"\n  d: [\"e\", \"f\"]\n  g: {}\n")
	if err != nil {
		t.Fatal(err)
	}
	a := m["a"].(map[string]any)
	if a["b"] != "x y" || strings_(a["c"])[0] != "1:1" || strings_(a["d"])[1] != "f" || len(a["g"].(map[string]any)) != 0 {
		t.Errorf("parsed %v", m)
	}
}

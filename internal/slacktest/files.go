package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Upload is a file that reached the fake through Slack's upload flow
// (files.getUploadURLExternal, the upload, files.completeUploadExternal).
type Upload struct {
	ID             string
	Filename       string
	Title          string
	Channel        string
	InitialComment string
	Content        []byte
	Completed      bool
}

// AddFile makes a file downloadable the way Slack serves a user's upload:
// only with the bot token, otherwise a redirect to the sign-in page. It
// returns the file's url_private_download.
func (a *API) AddFile(name string, content []byte) string {
	return a.AddTeamFile(DefaultTeam, name, content)
}

// AddTeamFile is AddFile for a file uploaded in another workspace: only
// that workspace's bot token downloads it.
func (a *API) AddTeamFile(team, name string, content []byte) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	id := fmt.Sprintf("F%08d", a.seq)
	a.files[id] = content
	return a.Server.URL + "/files-pri/" + team + "-" + id + "/download/" + url.PathEscape(name)
}

// Uploads returns the files uploaded so far, completed or not.
func (a *API) Uploads() []Upload {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Upload, 0, len(a.uploadOrder))
	for _, id := range a.uploadOrder {
		out = append(out, *a.uploads[id])
	}
	return out
}

func (a *API) serveFile(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/files-pri/"), "/")
	fileTeam, id, _ := strings.Cut(parts[0], "-")
	a.mu.Lock()
	team, tokenErr := a.tokenTeam(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	content, ok := a.files[id]
	a.mu.Unlock()
	if tokenErr != "" || team != fileTeam {
		// Slack answers a download without access with its sign-in page.
		http.Redirect(w, r, "/signin?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	send(w, content)
}

func (a *API) serveSignIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	send(w, []byte("<!DOCTYPE html><html><body>Sign in to Slack</body></html>"))
}

func (a *API) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file part", http.StatusBadRequest)
		return
	}
	content, err := io.ReadAll(f)
	if err != nil {
		a.fault(r, "read the uploaded file: %v", err)
		http.Error(w, "cannot read the file", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.uploads[id]
	if !ok {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	u.Content = content
	send(w, []byte("OK - "+fmt.Sprint(len(content))))
}

// uploadURL answers files.getUploadURLExternal.
func (a *API) uploadURL(c Call) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	id := fmt.Sprintf("F%08d", a.seq)
	a.uploads[id] = &Upload{ID: id, Filename: c.Arg("filename")}
	a.uploadOrder = append(a.uploadOrder, id)
	return map[string]any{"upload_url": a.Server.URL + "/upload/" + id, "file_id": id}
}

// completeUpload answers files.completeUploadExternal.
func (a *API) completeUpload(c Call) (map[string]any, string) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.Arg("files")), &files); err != nil || len(files) == 0 {
		return nil, "invalid_arguments"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []map[string]any
	for _, f := range files {
		u, ok := a.uploads[f.ID]
		if !ok || u.Content == nil {
			return nil, "file_not_found"
		}
		u.Title, u.Channel, u.InitialComment, u.Completed = f.Title, c.Arg("channel_id"), c.Arg("initial_comment"), true
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	return map[string]any{"files": out}, ""
}

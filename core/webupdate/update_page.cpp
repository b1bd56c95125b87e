// The upload page the device serves on GET <path>, self-contained (no external resources) so that
// it works on a network without internet. Without JavaScript it is the original's two forms
// (firmware and filesystem, multipart/form-data to the same URL); with it, it shows the running
// image from `?status`, takes a dropped file, refuses one larger than the room there is, shows the
// upload's progress and the server's answer, and finds the device again after its reboot.
// Size: 6690 bytes (kUpdatePageSize; docs/webupdate.md). Keep it under 8 KiB: it lives in flash.
#include "core/webupdate/web_update_server.h"

namespace otakit::webupdate {

const char kUpdatePage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Update</title><link rel="icon" href="data:,">
<style>
:root{color-scheme:light dark;--a:#0a66c2}
body{font:17px/1.5 system-ui,sans-serif;max-width:34em;margin:0 auto;padding:1em}
h1{font-size:1.4em;margin:0 0 .5em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1em 1em;margin:0 0 1em}
dt{opacity:.7}dd{margin:0;overflow-wrap:anywhere}
[hidden]{display:none!important}
fieldset{display:flex;gap:.5em;border:0;padding:0;margin:0 0 .8em}
fieldset label{flex:1;padding:.7em;border:2px solid var(--a);border-radius:.5em;text-align:center}
#drop{display:block;padding:1.4em 1em;border:2px dashed #888;border-radius:.8em;text-align:center}
#drop.over{border-color:var(--a);background:#0a66c222}
input[type=file]{display:block;width:100%;margin-top:.6em;font:inherit}
button,input[type=submit]{width:100%;min-height:3em;margin:.6em 0 1em;font:inherit;border:0;border-radius:.5em;background:var(--a);color:#fff}
:disabled{opacity:.5}
progress{width:100%;height:1.5em}
#message{padding:.7em;border-radius:.5em;overflow-wrap:anywhere}
#message:empty{display:none}
.ok{background:#1a7f3726}.error{background:#d0302f26}.busy{background:#8882}
</style></head>
<body><main>
<h1>Update <span id="host"></span></h1>
<dl><dt>Version</dt><dd id="version">-</dd><dt>MD5</dt><dd id="md5">-</dd>
<dt>Free space</dt><dd id="free">-</dd><dt>Filesystem</dt><dd id="fs">-</dd></dl>
<fieldset id="kind" aria-label="Image type" hidden>
<label><input type="radio" name="kind" value="firmware" checked> Firmware</label>
<label><input type="radio" name="kind" value="filesystem"> Filesystem</label></fieldset>
<form id="fw" method="POST" action="" enctype="multipart/form-data">
<label id="drop"><span id="pick">Firmware: choose or drop a .bin or .bin.gz file</span>
<input type="file" id="file" accept=".bin,.bin.gz" name="firmware"></label>
<input type="submit" id="upload" value="Update Firmware"></form>
<form id="fsform" method="POST" action="" enctype="multipart/form-data">FileSystem:
<input type="file" accept=".bin,.bin.gz" name="filesystem"><input type="submit" value="Update FileSystem"></form>
<div id="bar" hidden><progress id="progress" max="100" value="0" aria-label="Upload progress"></progress>
<div id="bytes" aria-live="off"></div></div>
<p id="message" role="status" aria-live="polite"></p>
</main>
<script>
const $=i=>document.getElementById(i),file=$('file'),msg=$('message'),bar=$('progress'),path=location.origin+location.pathname;
let dev=null;
function size(n){const u=['bytes','KiB','MiB','GiB'];let i=0;for(;n>=1024&&i<3;i++)n/=1024;return(i?n.toFixed(n<10?2:1):n)+' '+u[i]}
function say(t,s){msg.textContent=t;msg.className=s||'';msg.dataset.state=s||''}
function kind(){return document.querySelector('[name=kind]:checked').value}
function room(){return kind()=='filesystem'?dev.filesystem_size:dev.free_space}
function show(s){dev=s;$('host').textContent=s.hostname;$('version').textContent=s.version||'(not stamped)';
$('md5').textContent=s.md5;$('free').textContent=size(s.free_space);$('fs').textContent=size(s.filesystem_size);
if(s.on_trial)$('version').textContent+=' (on trial)';document.title='Update '+s.hostname}
async function status(ms){const c=new AbortController(),t=setTimeout(()=>c.abort(),ms);
try{const r=await fetch(path+'?status',{cache:'no-store',signal:c.signal});
if(r.status==401)throw Error('wrong or missing credentials (HTTP 401); reload the page to sign in');
if(!r.ok)throw Error('HTTP '+r.status);return await r.json()}finally{clearTimeout(t)}}
function busy(on){for(const e of document.querySelectorAll('input'))e.disabled=on}
function progress(d,t){const p=t?Math.floor(d*100/t):0;bar.value=p;$('bytes').textContent=p+'% \xb7 '+size(d)+' of '+size(t)}
function problem(f){if(!f)return'Choose a .bin or .bin.gz file first.';
if(dev&&!room())return'The device has no room for a '+kind()+' image.';
if(dev&&f.size>room())return f.name+' is '+size(f.size)+', larger than the '+size(room())+' the device has room for.'}
function picked(){const f=file.files[0];$('pick').textContent=f?f.name+' ('+size(f.size)+')':(kind()=='filesystem'?'Filesystem':'Firmware')+': choose or drop a .bin or .bin.gz file';
const p=f&&problem(f);p?say(p,'error'):say('')}
function send(f){const p=problem(f);if(p)return say(p,'error');
const k=kind(),form=new FormData(),x=new XMLHttpRequest();form.append(k,f,f.name);
x.open('POST',path);x.upload.onprogress=e=>{if(e.lengthComputable)progress(e.loaded,e.total)};
x.onload=()=>{if(x.status==200&&/Update Success/.test(x.responseText)){bar.value=100;$('bytes').textContent='100% \xb7 '+size(f.size);
return back(k)}busy(false);const why=x.status==401?'wrong or missing credentials. Reload the page to sign in again.':x.responseText.trim();
say('Update failed (HTTP '+x.status+'): '+why,'error')};
x.onerror=()=>{busy(false);say('Update failed: the connection to the device broke off. The device keeps its running image.','error')};
busy(true);$('bar').hidden=false;progress(0,f.size);say('Uploading '+f.name+'\u2026','busy');x.send(form)}
async function back(k){const was=dev,end=Date.now()+60000;say('Update Success! Rebooting\u2026','busy');
while(Date.now()<end){await new Promise(r=>setTimeout(r,500));let s;try{s=await status(2000)}catch(e){continue}
if(was&&s.boots==was.boots)continue;show(s);busy(false);
if(k=='filesystem')return say('Filesystem updated; the device has restarted.','ok');
if(was&&s.md5==was.md5)return say('The device restarted but kept its old image (MD5 unchanged): the new one was rolled back.','error');
return say('Updated to '+(s.version||'a new image')+' (MD5 '+s.md5+').'+(s.on_trial?' It runs on trial until the firmware confirms it.':''),'ok')}
busy(false);say('The device did not answer within 60 s of its reboot. Reload this page once it is back.','error')}
$('kind').hidden=false;$('fsform').hidden=true;
for(const r of document.querySelectorAll('[name=kind]'))r.onchange=()=>{const fs=kind()=='filesystem';
file.name=kind();$('upload').value=fs?'Update FileSystem':'Update Firmware';picked()};
file.onchange=picked;$('fw').onsubmit=e=>{e.preventDefault();send(file.files[0])};
const drop=$('drop');drop.ondragover=e=>{e.preventDefault();drop.classList.add('over')};
drop.ondragleave=()=>drop.classList.remove('over');
drop.ondrop=e=>{e.preventDefault();drop.classList.remove('over');if(e.dataTransfer.files.length){file.files=e.dataTransfer.files;picked()}};
status(5000).then(s=>{show(s);if(s.uploading)say('Another upload is in progress on the device.','busy')},
e=>say('Could not read the device status: '+e.message,'error'));
</script></body></html>
)html";

const size_t kUpdatePageSize = sizeof(kUpdatePage) - 1;

}  // namespace otakit::webupdate

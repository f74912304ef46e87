// The Kinema web page: plain JavaScript over the same /v1 API the openai client uses.
const $ = (id) => document.getElementById(id);
const keyInput = $('api-key');
keyInput.value = localStorage.getItem('kinema-api-key') ?? '';
keyInput.addEventListener('change', () => {
  localStorage.setItem('kinema-api-key', keyInput.value.trim());
  refresh();
});

const cards = new Map(); // video id -> { el, status, objectUrl }

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (keyInput.value.trim()) headers.authorization = `Bearer ${keyInput.value.trim()}`;
  const res = await fetch(`/v1${path}`, { ...init, headers });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  }
  return res;
}

function say(text) {
  $('message').textContent = text;
}

$('create').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append('prompt', $('prompt').value);
  form.append('size', $('size').value);
  form.append('seconds', $('seconds').value);
  if ($('seed').value !== '') form.append('seed', $('seed').value);
  const image = $('reference').files[0];
  if (image) form.append('input_reference', image);
  if (image && $('consent').checked) form.append('likeness_consent', 'true');
  try {
    say('');
    const video = await (await api('/videos', { method: 'POST', body: form })).json();
    render(video);
  } catch (err) {
    say(err.message);
  }
});

async function showResult(card, video) {
  const res = await api(`/videos/${video.id}/content`);
  card.objectUrl = URL.createObjectURL(await res.blob());
  const player = document.createElement('video');
  player.src = card.objectUrl;
  player.controls = true;
  player.loop = true;
  player.muted = true;
  player.autoplay = true;
  player.playsInline = true;
  card.el.querySelector('.media').replaceChildren(player);
  const link = document.createElement('a');
  link.className = 'download';
  link.textContent = 'Download';
  link.href = card.objectUrl;
  link.download = `${video.id}.mp4`;
  card.el.querySelector('.actions').prepend(link);
  showProvenance(card, video);
}

/** The provenance badge: the C2PA manifest's state and whether the watermarks were found. */
async function showProvenance(card, video) {
  const badge = document.createElement('span');
  badge.className = 'provenance';
  badge.textContent = 'checking provenance…';
  card.el.querySelector('.actions').append(badge);
  try {
    const report = await (await api(`/videos/${video.id}/provenance`)).json();
    const signed = report.c2pa.state === 'trusted' || report.c2pa.state === 'valid';
    badge.dataset.state = signed ? 'signed' : report.c2pa.state;
    badge.textContent = signed ? 'AI-generated · C2PA signed' : `C2PA ${report.c2pa.state}`;
    badge.title = [
      `C2PA manifest: ${report.c2pa.state}`,
      `invisible watermark: ${report.invisible_watermark.found ? 'found' : 'not found'}`,
      `visible watermark: ${report.visible_watermark.present ? 'present' : 'absent'}`,
    ].join('\n');
  } catch (err) {
    badge.textContent = `provenance unavailable: ${err.message}`;
  }
}

function render(video) {
  let card = cards.get(video.id);
  if (!card) {
    const el = $('card').content.firstElementChild.cloneNode(true);
    el.dataset.id = video.id;
    el.querySelector('.prompt').textContent = video.prompt;
    el.querySelector('.delete').addEventListener('click', () => remove(video.id));
    el.querySelector('.remix').addEventListener('click', () => derive(video, 'remix'));
    el.querySelector('.extend').addEventListener('click', () => derive(video, 'extend'));
    card = { el, status: null, objectUrl: null };
    cards.set(video.id, card);
    $('gallery').prepend(el);
  }
  const status = video.status === 'failed' ? `failed: ${video.error?.message ?? ''}` : video.status;
  card.el.querySelector('.status').textContent =
    `${status} · ${video.progress}% · ${video.size} · ${video.seconds}s`;
  card.el.dataset.status = video.status;
  const bar = card.el.querySelector('progress');
  if (bar) bar.value = video.progress;
  if (video.status === 'completed' && card.status !== 'completed') {
    card.el.querySelector('.remix').hidden = false;
    card.el.querySelector('.extend').hidden = false;
    // The prompt as the model read it (expanded into a detailed caption), when it differs.
    const read = video.kinema?.model_prompt;
    if (read && read !== video.prompt) {
      const details = card.el.querySelector('.model-prompt');
      details.querySelector('p').textContent = read;
      details.hidden = false;
    }
    showResult(card, video).catch((err) => say(err.message));
  }
  card.status = video.status;
}

async function derive(video, how) {
  const prompt = window.prompt(how === 'remix' ? 'Remix prompt' : 'What happens next?', video.prompt);
  if (!prompt) return;
  try {
    const res =
      how === 'remix'
        ? await api(`/videos/${video.id}/remix`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ prompt }),
          })
        : await api('/videos/extensions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ prompt, seconds: '4', video: { id: video.id } }),
          });
    render(await res.json());
  } catch (err) {
    say(err.message);
  }
}

async function remove(id) {
  try {
    await api(`/videos/${id}`, { method: 'DELETE' });
    const card = cards.get(id);
    if (card?.objectUrl) URL.revokeObjectURL(card.objectUrl);
    card?.el.remove();
    cards.delete(id);
  } catch (err) {
    say(err.message);
  }
}

async function refresh() {
  try {
    const page = await (await api('/videos?limit=50')).json();
    for (const video of [...page.data].reverse()) render(video);
  } catch (err) {
    say(err.message);
  }
}

refresh();
// Live progress: poll while anything is unfinished.
setInterval(() => {
  if ([...cards.values()].some((c) => c.status === 'queued' || c.status === 'in_progress')) refresh();
}, 500);

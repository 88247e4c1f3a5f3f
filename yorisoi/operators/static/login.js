// The sign-in page: posts to /api/login and goes to the queue.

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const login = form.elements.login.value.trim();
  const password = form.elements.password.value;
  if (!login || !password) {
    error.textContent = 'ログイン名とパスワードを入れてください。';
    error.hidden = false;
    (login ? form.elements.password : form.elements.login).focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  let response;
  let data = {};
  try {
    response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ login, password }),
      credentials: 'same-origin',
    });
    data = await response.json();
  } catch (failure) {
    data = { message: 'サーバーにつながりません。通信を確認してください。' };
  }
  button.disabled = false;
  if (response && response.ok) {
    window.location.assign('/operator');
    return;
  }
  error.textContent = data.message || 'サインインできませんでした。';
  error.hidden = false;
  form.elements.password.value = '';
  form.elements.password.focus();
});
